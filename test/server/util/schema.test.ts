import { describe, expect, expectTypeOf, it } from 'vitest';
import { z, type Input, type Issue, type Output, type Schema } from '../../../server/util/schema.js';

/** The issues of a failed parse, as "path: message" (the shape load.ts reports them in). */
function problems(schema: Schema<unknown, unknown>, input: unknown): string[] {
  const result = schema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`);
}

function issuesOf(schema: Schema<unknown, unknown>, input: unknown): Issue[] {
  const result = schema.safeParse(input);
  return result.success ? [] : result.error.issues;
}

function dataOf<T>(schema: Schema<T, unknown>, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success) throw new Error(`expected success, got ${JSON.stringify(result.error.issues)}`);
  return result.data;
}

const port = z.number().int().min(0).max(65535);

describe('objects', () => {
  it('return the parsed value of every key', () => {
    expect(dataOf(z.object({ name: z.string(), port }), { name: 'pi', port: 5222 })).toEqual({ name: 'pi', port: 5222 });
  });

  it('leave keys out of the shape out of the output unless strict', () => {
    expect(dataOf(z.object({ name: z.string() }), { name: 'pi', extra: 1 })).toEqual({ name: 'pi' });
  });

  it('refuse unknown keys when strict, listing them all in one issue', () => {
    expect(issuesOf(z.object({ name: z.string() }).strict(), { name: 'pi', colour: 'red', size: 2 })).toEqual([
      { code: 'unrecognized_keys', path: [], keys: ['colour', 'size'], message: 'unknown keys: colour, size' },
    ]);
  });

  it('report unknown keys of a nested object at its path', () => {
    const schema = z.object({ tls: z.object({ profile: z.string() }).strict() }).strict();
    expect(issuesOf(schema, { tls: { profile: 'modern', profil: 'old' } })).toEqual([{ code: 'unrecognized_keys', path: ['tls'], keys: ['profil'], message: 'unknown key: profil' }]);
  });

  it('report unknown keys after the problems of the known ones', () => {
    expect(problems(z.object({ a: z.number() }).strict(), { a: 'x', b: 1 })).toEqual(['a: must be a number', '(top): unknown key: b']);
  });

  it('say a missing key is required', () => {
    expect(problems(z.object({ username: z.string(), role: z.enum(['admin', 'user']) }), {})).toEqual(['username: is required', 'role: is required']);
  });

  it('refuse what is not an object: null, arrays, strings', () => {
    for (const input of [null, [], 'x', 1, undefined]) expect(issuesOf(z.object({}), input)[0]?.code, String(input)).toBe('invalid_type');
    expect(problems(z.object({}), null)).toEqual(['(top): must be an object']);
  });

  it('name nested keys with their full path', () => {
    const schema = z.object({ limits: z.object({ maxXmlDepth: z.number().int().min(4).max(1000).default(64) }).strict().default({ maxXmlDepth: 64 }) }).strict();
    expect(problems(schema, { limits: { maxXmlDepth: 2 } })).toEqual(['limits.maxXmlDepth: must be at least 4']);
  });

  it('do not take keys from the prototype', () => {
    expect(problems(z.object({ toString: z.string() }), {})).toEqual(['toString: is required']);
  });

  it('expose their shape, whose schemas check one key alone', () => {
    const schema = z.object({ retentionDays: z.number().min(1, 'keep files at least 1 day').optional() }).strict();
    expect(problems(schema.shape.retentionDays, 0)).toEqual(['(top): keep files at least 1 day']);
  });
});

describe('optional keys', () => {
  const schema = z.object({ label: z.string().max(5).optional() }).strict();

  it('may be left out, and stay out of the output', () => {
    const data = dataOf(schema, {});
    expect(data).toEqual({});
    expect('label' in data).toBe(false);
  });

  it('accept undefined', () => {
    expect(schema.safeParse({ label: undefined }).success).toBe(true);
  });

  it('still check a value that is given', () => {
    expect(problems(schema, { label: 'too long' })).toEqual(['label: must be at most 5 characters']);
  });

  it('do not accept null', () => {
    expect(problems(schema, { label: null })).toEqual(['label: must be a string']);
  });
});

describe('defaults', () => {
  it('fill in a missing key', () => {
    expect(dataOf(z.object({ port: port.default(5222) }), {})).toEqual({ port: 5222 });
  });

  it('fill in undefined but not null', () => {
    expect(dataOf(z.object({ port: port.default(5222) }), { port: undefined })).toEqual({ port: 5222 });
    expect(problems(z.object({ port: port.default(5222) }), { port: null })).toEqual(['port: must be a number']);
  });

  it('are the output as they are, not checked again', () => {
    expect(dataOf(z.string().min(10).default('short'), undefined)).toBe('short');
    expect(dataOf(z.object({ a: z.number().default(1), b: z.number().default(2) }).strict().default({ a: 9, b: 9 }), undefined)).toEqual({ a: 9, b: 9 });
  });

  it('do not hide a bad value that is given', () => {
    expect(problems(z.object({ port: port.default(5222) }), { port: 70000 })).toEqual(['port: must be at most 65535']);
  });

  it('are a fresh copy each time', () => {
    const schema = z.object({ routes: z.array(z.string()).default([]), nested: z.object({ list: z.array(z.number()) }).default({ list: [1] }) });
    const first = dataOf(schema, {});
    first.routes.push('changed');
    first.nested.list.push(2);
    expect(dataOf(schema, {})).toEqual({ routes: [], nested: { list: [1] } });
  });
});

describe('numbers', () => {
  it('refuse what is not a finite number', () => {
    for (const input of ['5222', NaN, Infinity, -Infinity, true, null]) expect(problems(z.number(), input), String(input)).toEqual(['(top): must be a number']);
  });

  it('check whole numbers, and say nothing more of one that is not', () => {
    expect(problems(port, 1.5)).toEqual(['(top): must be a whole number']);
    expect(problems(port.min(10), 1.5)).toEqual(['(top): must be a whole number']);
    expect(issuesOf(port, 1.5)[0]?.code).toBe('not_integer');
  });

  it('refuse whole numbers beyond what JavaScript holds exactly', () => {
    expect(problems(z.number().int(), 2 ** 60)).toEqual([`(top): must be at most ${Number.MAX_SAFE_INTEGER}`]);
    expect(problems(z.number().int(), -(2 ** 60))).toEqual([`(top): must be at least ${Number.MIN_SAFE_INTEGER}`]);
    expect(problems(port, 2 ** 60)).toEqual(['(top): must be at most 65535']);
    expect(dataOf(z.number().int(), Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('check the bounds, inclusive', () => {
    expect(problems(port, -1)).toEqual(['(top): must be at least 0']);
    expect(problems(port, 65536)).toEqual(['(top): must be at most 65535']);
    expect(dataOf(port, 0)).toBe(0);
    expect(dataOf(port, 65535)).toBe(65535);
    expect(issuesOf(port, 65536)[0]?.code).toBe('too_big');
    expect(issuesOf(port, -1)[0]?.code).toBe('too_small');
  });

  it('add bounds without changing the schema they start from', () => {
    const tlsPort = port.min(1);
    expect(problems(tlsPort, 0)).toEqual(['(top): must be at least 1']);
    expect(dataOf(port, 0)).toBe(0);
  });

  it('check positive numbers', () => {
    expect(problems(z.number().positive(), 0)).toEqual(['(top): must be greater than 0']);
    expect(dataOf(z.number().positive(), 0.5)).toBe(0.5);
  });

  it('use each check’s own message', () => {
    const days = z.number({ error: 'enter the number of days' }).int('enter a whole number of days').min(0, 'days cannot be negative').max(3650, 'at most 3650 days');
    expect(problems(days, 'ten')).toEqual(['(top): enter the number of days']);
    expect(problems(days, undefined)).toEqual(['(top): enter the number of days']);
    expect(problems(days, 1.5)).toEqual(['(top): enter a whole number of days']);
    expect(problems(days, -1)).toEqual(['(top): days cannot be negative']);
    expect(problems(days, 4000)).toEqual(['(top): at most 3650 days']);
  });
});

describe('strings', () => {
  it('refuse what is not a string', () => {
    expect(problems(z.string(), 42)).toEqual(['(top): must be a string']);
  });

  it('check the length', () => {
    expect(problems(z.string().min(1), '')).toEqual(['(top): must not be empty']);
    expect(problems(z.string().min(16), 'short')).toEqual(['(top): must be at least 16 characters']);
    expect(problems(z.string().max(3), 'long')).toEqual(['(top): must be at most 3 characters']);
  });

  it('report every failed check', () => {
    expect(problems(z.string().min(3).regex(/^\d+$/), 'a')).toEqual(['(top): must be at least 3 characters', '(top): is not in the expected form']);
  });

  it('trim before the checks that follow, and output the trimmed string', () => {
    const name = z.string().trim().min(1, 'enter a name');
    expect(problems(name, '   ')).toEqual(['(top): enter a name']);
    expect(dataOf(name, '  Grandma  ')).toBe('Grandma');
    // A check before trim() sees the string as it came.
    expect(dataOf(z.string().max(4).trim(), ' ab ')).toBe('ab');
    expect(problems(z.string().max(4).trim(), ' abc ')).toEqual(['(top): must be at most 4 characters']);
  });

  it('match a pattern', () => {
    const id = z.string().regex(/^[0-9a-f]{12}$/, 'not an invitation of this server');
    expect(dataOf(id, '0123456789ab')).toBe('0123456789ab');
    expect(problems(id, '0123456789AB')).toEqual(['(top): not an invitation of this server']);
    expect(issuesOf(id, 'x')[0]?.code).toBe('invalid_format');
  });

  it('match a global pattern the same way every time', () => {
    const digits = z.string().regex(/^\d+$/g);
    expect(dataOf(digits, '12')).toBe('12');
    expect(dataOf(digits, '34')).toBe('34');
  });

  it('use the schema’s message for every check without one of its own', () => {
    const name = z.string({ error: 'enter a user name' }).trim().min(1).max(5, 'that user name is too long');
    expect(problems(name, 42)).toEqual(['(top): enter a user name']);
    expect(problems(name, ' ')).toEqual(['(top): enter a user name']);
    expect(problems(name, 'abcdefg')).toEqual(['(top): that user name is too long']);
  });

  it('check e-mail addresses', () => {
    for (const address of ['admin@example.org', 'first.last+tag@mail.example.co.uk']) expect(dataOf(z.email(), address)).toBe(address);
    for (const address of ['admin', 'admin@', '@example.org', 'a b@example.org', 'admin@example', '.admin@example.org', 'ad..min@example.org', 'admin@-example.org']) {
      expect(problems(z.email(), address), address).toEqual(['(top): must be an e-mail address such as name@example.org']);
    }
    expect(problems(z.email({ error: 'that e-mail address is not valid' }), 'nope')).toEqual(['(top): that e-mail address is not valid']);
    expect(problems(z.email({ error: 'that e-mail address is not valid' }), 7)).toEqual(['(top): that e-mail address is not valid']);
  });
});

describe('booleans, enums and literals', () => {
  it('take only true or false as a boolean', () => {
    expect(dataOf(z.boolean(), false)).toBe(false);
    for (const input of ['true', 1, 0, null]) expect(problems(z.boolean(), input), String(input)).toEqual(['(top): must be true or false']);
  });

  it('list the choices of an enum', () => {
    const roomCreation = z.enum(['local', 'admins', 'anyone']);
    expect(dataOf(roomCreation, 'admins')).toBe('admins');
    expect(problems(roomCreation, 'everyone')).toEqual(['(top): must be one of: local, admins, anyone']);
    expect(problems(roomCreation, 3)).toEqual(['(top): must be one of: local, admins, anyone']);
    expect(issuesOf(roomCreation, 'everyone')[0]?.code).toBe('invalid_value');
  });

  it('take an enum’s choices from a constant list and its message from the params', () => {
    const roles = ['admin', 'user', 'limited'] as const;
    const role = z.enum(roles, { error: 'choose a role: admin, user or limited' });
    expect(role.options).toEqual(roles);
    expect(problems(role, 'owner')).toEqual(['(top): choose a role: admin, user or limited']);
    expect(problems(z.object({ role }), {})).toEqual(['role: choose a role: admin, user or limited']);
  });

  it('take only the literal value', () => {
    const agree = z.literal(true, { error: 'agree to the terms' });
    expect(dataOf(agree, true)).toBe(true);
    expect(problems(agree, false)).toEqual(['(top): agree to the terms']);
    expect(problems(z.literal(true), 'yes')).toEqual(['(top): must be true']);
  });
});

describe('arrays', () => {
  const transports = z.array(z.enum(['udp', 'tcp'])).min(1).max(2);

  it('check each element, at its index', () => {
    expect(dataOf(transports, ['tcp'])).toEqual(['tcp']);
    expect(problems(z.object({ transports }), { transports: ['udp', 'sctp'] })).toEqual(['transports.1: must be one of: udp, tcp']);
  });

  it('check the number of elements', () => {
    expect(problems(transports, [])).toEqual(['(top): must not be empty']);
    expect(problems(transports, ['udp', 'tcp', 'udp'])).toEqual(['(top): must have at most 2 items']);
    expect(problems(z.array(z.number()).min(3), [1])).toEqual(['(top): must have at least 3 items']);
  });

  it('refuse what is not an array', () => {
    expect(problems(transports, 'udp')).toEqual(['(top): must be an array']);
    expect(problems(transports, { 0: 'udp' })).toEqual(['(top): must be an array']);
  });

  it('output the parsed elements', () => {
    expect(dataOf(z.array(z.string().trim()), [' a ', 'b '])).toEqual(['a', 'b']);
  });
});

describe('records', () => {
  const routes = z.record(z.string(), z.string().regex(/^[^:]+:\d+$/, 'must be host:port'));

  it('check every value, at its key', () => {
    expect(dataOf(routes, { 'friend.example': 'pi.local:5269' })).toEqual({ 'friend.example': 'pi.local:5269' });
    expect(problems(z.object({ routes }), { routes: { 'friend.example': 'nope' } })).toEqual(['routes.friend.example: must be host:port']);
  });

  it('refuse what is not an object', () => {
    expect(problems(routes, ['pi.local:5269'])).toEqual(['(top): must be an object']);
  });

  it('keep a key named __proto__ as a plain key', () => {
    const data = dataOf(routes, JSON.parse('{"__proto__": "evil.example:1"}'));
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(Object.keys(data)).toEqual(['__proto__']);
  });
});

describe('refinements and transforms', () => {
  it('refine with a message, at a path below the value', () => {
    const purge = z
      .object({ everything: z.boolean().default(false), confirm: z.boolean().default(false) })
      .strict()
      .refine((input) => !input.everything || input.confirm, { message: 'deleting everything needs confirm: true', path: ['confirm'] });
    expect(dataOf(purge, { everything: true, confirm: true })).toEqual({ everything: true, confirm: true });
    expect(issuesOf(purge, { everything: true })).toEqual([{ code: 'custom', path: ['confirm'], message: 'deleting everything needs confirm: true' }]);
  });

  it('refine with a message given as a string', () => {
    expect(problems(z.array(z.string()).refine((list) => new Set(list).size === list.length, 'name each port only once'), ['a', 'a'])).toEqual(['(top): name each port only once']);
  });

  it('run a refinement after failed checks, to report its issue with theirs', () => {
    const host = z
      .string()
      .max(3)
      .refine((value) => /^[a-z]+$/.test(value), { message: 'must be a host name' });
    expect(problems(host, 'a-long-one')).toEqual(['(top): must be at most 3 characters', '(top): must be a host name']);
    expect(problems(host, 'abc')).toEqual([]);
  });

  it('run a refinement only on a value of the declared shape', () => {
    let calls = 0;
    const counted = () => {
      calls += 1;
      return false;
    };
    expect(problems(z.number().refine(counted, 'never'), 'x')).toEqual(['(top): must be a number']);
    expect(problems(z.object({ a: z.number() }).refine(counted, 'never'), { a: 'x' })).toEqual(['a: must be a number']);
    expect(problems(z.array(z.number().int()).refine(counted, 'never'), [1.5])).toEqual(['0: must be a whole number']);
    expect(calls).toBe(0);
    expect(problems(z.object({ a: z.number().min(5) }).refine(counted, 'never'), { a: 1 })).toEqual(['a: must be at least 5', '(top): never']);
    expect(calls).toBe(1);
  });

  it('let superRefine add several issues, each at its own path', () => {
    const turn = z
      .object({ host: z.string().optional(), secret: z.string().optional() })
      .strict()
      .superRefine((value, context) => {
        if (value.host !== undefined && value.secret === undefined) context.addIssue({ code: 'custom', path: ['secret'], message: 'required when turn.host is set' });
        if (value.host === undefined) context.addIssue({ message: 'give a host' });
      });
    const schema = z.object({ turn: turn.default({}) }).strict();
    expect(dataOf(schema, { turn: { host: 'h', secret: 's' } })).toEqual({ turn: { host: 'h', secret: 's' } });
    expect(problems(schema, { turn: { host: 'h' } })).toEqual(['turn.secret: required when turn.host is set']);
    expect(issuesOf(schema, { turn: {} })).toEqual([{ code: 'custom', path: ['turn'], message: 'give a host' }]);
  });

  it('transform a valid value, and not an invalid one', () => {
    let calls = 0;
    const lower = z
      .string()
      .max(20)
      .transform((value) => {
        calls += 1;
        return value.toLowerCase();
      });
    expect(dataOf(lower, 'Example.ORG')).toBe('example.org');
    expect(problems(lower, 'much-too-long.example.org')).toEqual(['(top): must be at most 20 characters']);
    expect(calls).toBe(1);
  });

  it('transform, refine and default in the order written', () => {
    const domains = z
      .record(z.string(), z.number())
      .superRefine((value, context) => {
        for (const key of Object.keys(value)) if (key.includes(' ')) context.addIssue({ code: 'custom', path: [key], message: 'must be a domain name' });
      })
      .transform((value) => Object.fromEntries(Object.entries(value).map(([key, item]) => [key.toLowerCase(), item])))
      .default({});
    expect(dataOf(domains, undefined)).toEqual({});
    expect(dataOf(domains, { 'A.Example': 1 })).toEqual({ 'a.example': 1 });
    expect(problems(z.object({ routes: domains }), { routes: { 'not a domain': 1 } })).toEqual(['routes.not a domain: must be a domain name']);
  });

  it('report the problems of values and of keys of a record together', () => {
    const routes = z.record(z.string(), z.string().regex(/:\d+$/, 'must be host:port')).superRefine((value, context) => {
      for (const key of Object.keys(value)) if (key.includes(' ')) context.addIssue({ code: 'custom', path: [key], message: 'must be a domain name' });
    });
    expect(problems(routes, { 'friend.example': 'pi.local', 'not a domain': 'pi.local:5269' })).toEqual(['friend.example: must be host:port', 'not a domain: must be a domain name']);
  });
});

describe('safeParse', () => {
  it('answers success with the data, or failure with every issue', () => {
    const schema = z.object({ a: z.number(), b: z.string() }).strict();
    expect(schema.safeParse({ a: 1, b: 'x' })).toEqual({ success: true, data: { a: 1, b: 'x' } });
    expect(schema.safeParse({})).toEqual({
      success: false,
      error: {
        issues: [
          { code: 'invalid_type', path: ['a'], message: 'is required' },
          { code: 'invalid_type', path: ['b'], message: 'is required' },
        ],
      },
    });
  });

  it('can be called on a schema taken from a union of schemas', () => {
    const schemas = { a: z.object({ n: z.number() }).strict(), b: z.object({}).strict() } as const;
    const name = 'a' as keyof typeof schemas;
    expect(schemas[name].safeParse({ n: 1 }).success).toBe(true);
  });
});

describe('types', () => {
  const schema = z
    .object({
      domain: z.string().optional(),
      port: port.default(5222),
      profile: z.enum(['intermediate', 'modern']).default('intermediate'),
      level: z.enum(['debug', 'info']),
      agree: z.literal(true),
      tags: z.array(z.string()).default([]),
      routes: z.record(z.string(), z.string()).transform((value) => new Map(Object.entries(value))),
      nested: z.object({ on: z.boolean() }).strict().optional(),
    })
    .strict();

  it('infer the output: defaults make keys required, optional keys stay optional', () => {
    expectTypeOf<Output<typeof schema>>().toEqualTypeOf<{
      domain?: string | undefined;
      port: number;
      profile: 'intermediate' | 'modern';
      level: 'debug' | 'info';
      agree: true;
      tags: string[];
      routes: Map<string, string>;
      nested?: { on: boolean } | undefined;
    }>();
  });

  it('infer the input: keys with a default may be left out', () => {
    expectTypeOf<Input<typeof schema>>().toEqualTypeOf<{
      domain?: string | undefined;
      port?: number | undefined;
      profile?: 'intermediate' | 'modern' | undefined;
      level: 'debug' | 'info';
      agree: true;
      tags?: string[] | undefined;
      routes: Record<string, string>;
      nested?: { on: boolean } | undefined;
    }>();
  });

  it('type an object without keys as one that takes none', () => {
    expectTypeOf<Input<ReturnType<typeof z.object<{}>>>>().toEqualTypeOf<Record<string, never>>();
  });

  it('type enums from constant lists as unions of their strings', () => {
    const levels = ['debug', 'info', 'warn', 'error'] as const;
    expectTypeOf<Output<ReturnType<typeof z.enum<typeof levels>>>>().toEqualTypeOf<'debug' | 'info' | 'warn' | 'error'>();
  });

  it('type safeParse’s data as the output', () => {
    const result = z.array(z.number()).optional().safeParse([1]);
    if (result.success) expectTypeOf(result.data).toEqualTypeOf<number[] | undefined>();
    expect(result.success).toBe(true);
  });
});
