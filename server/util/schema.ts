// Validation schemas for JSON-shaped input: the config file (server/config/schema.ts) and the
// control API's requests (server/control/contract.ts). It replaces zod, whose import alone took
// 3-4 MiB of heap at start on a Raspberry Pi (issue 12), and offers only what those files use,
// with a zod-like surface (`z.object({...}).strict()`, `safeParse`) so they read the same.
// Pure and without imports: the renderer bundles the contract, and with it this file.
//
// How a value is checked: the schema's type first (a string, a number, an object...); a value of
// the wrong type stops there with one issue. Then its checks run in the order they were written
// (min, max, trim, regex...), each adding its own issue; only a number that is not whole stops
// there too. Refinements (refine, superRefine) run unless the value or a part of it had the wrong
// type, so they see the declared shape and can add their issues to those of failed checks (all
// the bad keys of s2s.routes at once); transforms run only on a value without any issue.
// Messages are sentences for people ("must be at most 65535"); the caller adds the key's name.

export type Path = Array<string | number>;

export type IssueCode = 'invalid_type' | 'invalid_value' | 'invalid_format' | 'not_integer' | 'too_small' | 'too_big' | 'custom';

/** One problem with the input, at `path` (object keys and array indexes from the top). */
export type Issue =
  | { code: IssueCode; path: Path; message: string }
  | { code: 'unrecognized_keys'; path: Path; message: string; /** The keys the object does not know. */ keys: string[] };

export interface SchemaError {
  issues: Issue[];
}

export type SafeParseResult<T> = { success: true; data: T } | { success: false; error: SchemaError };

/** `{ error }` is the message for every problem this schema finds that has no message of its own. */
export interface SchemaParams {
  error?: string;
}

/** A refinement's message, or its message and the path (below the value) the issue is reported at. */
export type RefineParams = string | { message?: string; path?: Path };

export interface RefinementContext {
  addIssue(issue: { code?: 'custom'; message: string; path?: Path }): void;
}

/** The type a schema produces: what `safeParse` returns in `data`. */
export type Output<S extends AnySchema> = S['_output'];
/** The type a schema accepts: keys with a default or marked optional may be left out. */
export type Input<S extends AnySchema> = S['_input'];

export type AnySchema = Schema<any, any>;

/** What a schema's type check returns when the value is not of its type: nothing else runs. */
const INVALID: unique symbol = Symbol('invalid');
type Checked = unknown;

/** Issues after which a value does not have its declared shape: wrong types, fractions for int(). */
const shapeIssues = new WeakSet<Issue>();

interface Step {
  /** always: checks; shaped: refinements, unless a shape issue came before; valid: transforms, only without any issue. */
  runs: 'always' | 'shaped' | 'valid';
  /** The value for the next step, or INVALID (after adding an issue) to stop checking it. */
  apply(value: unknown, path: Path, issues: Issue[]): unknown;
}

export abstract class Schema<Out, In = Out> {
  /** Type-level only: never set at run time. */
  declare readonly _output: Out;
  declare readonly _input: In;

  protected steps: readonly Step[] = [];
  protected readonly error: string | undefined;

  constructor(params?: SchemaParams) {
    this.error = params?.error;
  }

  safeParse(input: unknown): SafeParseResult<Out> {
    const issues: Issue[] = [];
    const data = this.parseAt(input, [], issues);
    return issues.length === 0 ? { success: true, data: data as Out } : { success: false, error: { issues } };
  }

  /**
   * Checks `value` found at `path`, adding its problems to `issues`, and returns what it parses to
   * (meaningful only when no issue was added). Composite schemas call it for their parts.
   */
  parseAt(value: unknown, path: Path, issues: Issue[]): unknown {
    const start = issues.length;
    let out = this.checkType(value, path, issues);
    for (const step of this.steps) {
      if (out === INVALID) return undefined;
      if (step.runs === 'valid' && issues.length > start) continue;
      if (step.runs === 'shaped' && issues.slice(start).some((issue) => shapeIssues.has(issue))) continue;
      out = step.apply(out, path, issues);
    }
    return out === INVALID ? undefined : out;
  }

  /** Undefined (a missing key) is accepted and stays undefined. */
  optional(): Schema<Out | undefined, In | undefined> {
    return new OptionalSchema(this);
  }

  /** Undefined (a missing key) becomes `value`, which is the output as it is, not checked again. */
  default(value: Exclude<Out, undefined>): Schema<Exclude<Out, undefined>, In | undefined> {
    return new DefaultSchema(this, value);
  }

  /** An issue with `params`' message (at `params.path` below the value) unless `check` is truthy. */
  refine(check: (value: Out) => unknown, params?: RefineParams): this {
    const message = (typeof params === 'string' ? params : params?.message) ?? this.error ?? 'is not valid';
    const below = typeof params === 'object' ? (params.path ?? []) : [];
    return this.withStep({
      runs: 'shaped',
      apply: (value, path, issues) => {
        if (!check(value as Out)) issues.push({ code: 'custom', path: [...path, ...below], message });
        return value;
      },
    });
  }

  /** Lets `check` report any number of issues, each at its own path below the value. */
  superRefine(check: (value: Out, context: RefinementContext) => void): this {
    return this.withStep({
      runs: 'shaped',
      apply: (value, path, issues) => {
        check(value as Out, {
          addIssue: (issue) => issues.push({ code: issue.code ?? 'custom', path: [...path, ...(issue.path ?? [])], message: issue.message }),
        });
        return value;
      },
    });
  }

  /** The output becomes `convert(value)`, for a valid value. */
  transform<R>(convert: (value: Out) => R): Schema<R, In> {
    return this.withStep({ runs: 'valid', apply: (value) => convert(value as Out) }) as unknown as Schema<R, In>;
  }

  /** The value if it has this schema's type, or INVALID after adding the issue. */
  protected abstract checkType(value: unknown, path: Path, issues: Issue[]): Checked;

  /** A copy with one more step; schemas never change once made, so they can be shared. */
  protected withStep(step: Step): this {
    const copy = this.copy();
    copy.steps = [...this.steps, step];
    return copy;
  }

  protected copy(): this {
    return Object.assign(Object.create(Object.getPrototypeOf(this) as object) as this, this);
  }

  /** A check that adds an issue when `fails(value)`; `message` falls back on the schema's own. */
  protected withCheck<T>(code: IssueCode, fails: (value: T) => boolean, message: string | undefined, fallback: string): this {
    const text = message ?? this.error ?? fallback;
    return this.withStep({
      runs: 'always',
      apply: (value, path, issues) => {
        if (fails(value as T)) issues.push({ code, path, message: text });
        return value;
      },
    });
  }

  /** The wrong type: "is required" when nothing was given, else `expected`. */
  protected typeIssue(value: unknown, path: Path, issues: Issue[], expected: string, code: IssueCode = 'invalid_type'): typeof INVALID {
    const issue: Issue = { code: value === undefined ? 'invalid_type' : code, path, message: this.error ?? (value === undefined ? 'is required' : expected) };
    shapeIssues.add(issue);
    issues.push(issue);
    return INVALID;
  }
}

class OptionalSchema<Out, In> extends Schema<Out | undefined, In | undefined> {
  constructor(private readonly inner: Schema<Out, In>) {
    super();
  }

  protected checkType(value: unknown, path: Path, issues: Issue[]): Checked {
    return value === undefined ? undefined : this.inner.parseAt(value, path, issues);
  }
}

class DefaultSchema<Out, In> extends Schema<Exclude<Out, undefined>, In | undefined> {
  constructor(
    private readonly inner: Schema<Out, In>,
    private readonly fallback: Exclude<Out, undefined>,
  ) {
    super();
  }

  protected checkType(value: unknown, path: Path, issues: Issue[]): Checked {
    // A fresh copy each time: callers may change what they got without changing the next one's.
    return value === undefined ? copyData(this.fallback) : this.inner.parseAt(value, path, issues);
  }
}

export class StringSchema extends Schema<string> {
  protected checkType(value: unknown, path: Path, issues: Issue[]): Checked {
    return typeof value === 'string' ? value : this.typeIssue(value, path, issues, 'must be a string');
  }

  /** At least `length` characters (UTF-16 code units, as JavaScript counts them). */
  min(length: number, message?: string): this {
    return this.withCheck<string>('too_small', (value) => value.length < length, message, length === 1 ? 'must not be empty' : `must be at least ${length} characters`);
  }

  max(length: number, message?: string): this {
    return this.withCheck<string>('too_big', (value) => value.length > length, message, `must be at most ${length} characters`);
  }

  /** Removes white space at both ends; the checks after it see the trimmed string. */
  trim(): this {
    return this.withStep({ runs: 'always', apply: (value) => (value as string).trim() });
  }

  regex(pattern: RegExp, message?: string): this {
    return this.withCheck<string>(
      'invalid_format',
      (value) => {
        pattern.lastIndex = 0;
        return !pattern.test(value);
      },
      message,
      'is not in the expected form',
    );
  }
}

export class NumberSchema extends Schema<number> {
  protected checkType(value: unknown, path: Path, issues: Issue[]): Checked {
    // NaN and the infinities cannot come from JSON and are no one's setting.
    return typeof value === 'number' && Number.isFinite(value) ? value : this.typeIssue(value, path, issues, 'must be a number');
  }

  /** Set by int(): whole numbers beyond 2^53 - 1 are not held exactly, so they are refused too. */
  private safeOnly: { message: string | undefined } | undefined;

  /**
   * A whole number that JavaScript holds exactly (at most 2^53 - 1 either side of 0). A number
   * that is not whole gets this issue alone: "must be at least 1" would only add noise to 1.5.
   */
  int(message?: string): this {
    const copy = this.withStep({
      runs: 'always',
      apply: (value, path, issues) => {
        if (Number.isInteger(value)) return value;
        const issue: Issue = { code: 'not_integer', path, message: message ?? this.error ?? 'must be a whole number' };
        shapeIssues.add(issue);
        issues.push(issue);
        return INVALID;
      },
    });
    copy.safeOnly = { message };
    return copy;
  }

  override parseAt(value: unknown, path: Path, issues: Issue[]): unknown {
    const start = issues.length;
    const out = super.parseAt(value, path, issues);
    // Last, and only when no bound said more: "must be at most 65535" beats 2^53 - 1 for 2^60.
    if (this.safeOnly && issues.length === start && typeof out === 'number' && !Number.isSafeInteger(out)) {
      const fallback = out > 0 ? `must be at most ${Number.MAX_SAFE_INTEGER}` : `must be at least ${Number.MIN_SAFE_INTEGER}`;
      issues.push({ code: out > 0 ? 'too_big' : 'too_small', path, message: this.safeOnly.message ?? this.error ?? fallback });
    }
    return out;
  }

  min(minimum: number, message?: string): this {
    return this.withCheck<number>('too_small', (value) => value < minimum, message, `must be at least ${minimum}`);
  }

  max(maximum: number, message?: string): this {
    return this.withCheck<number>('too_big', (value) => value > maximum, message, `must be at most ${maximum}`);
  }

  positive(message?: string): this {
    return this.withCheck<number>('too_small', (value) => value <= 0, message, 'must be greater than 0');
  }
}

export class BooleanSchema extends Schema<boolean> {
  protected checkType(value: unknown, path: Path, issues: Issue[]): Checked {
    return typeof value === 'boolean' ? value : this.typeIssue(value, path, issues, 'must be true or false');
  }
}

export class EnumSchema<T extends string> extends Schema<T> {
  constructor(
    readonly options: readonly T[],
    params?: SchemaParams,
  ) {
    super(params);
  }

  protected checkType(value: unknown, path: Path, issues: Issue[]): Checked {
    return (this.options as readonly unknown[]).includes(value) ? value : this.typeIssue(value, path, issues, `must be one of: ${this.options.join(', ')}`, 'invalid_value');
  }
}

export class LiteralSchema<T extends string | number | boolean> extends Schema<T> {
  constructor(
    readonly value: T,
    params?: SchemaParams,
  ) {
    super(params);
  }

  protected checkType(value: unknown, path: Path, issues: Issue[]): Checked {
    return value === this.value ? value : this.typeIssue(value, path, issues, `must be ${JSON.stringify(this.value)}`, 'invalid_value');
  }
}

export class ArraySchema<E extends AnySchema> extends Schema<Array<Output<E>>, Array<Input<E>>> {
  constructor(
    readonly element: E,
    params?: SchemaParams,
  ) {
    super(params);
  }

  protected checkType(value: unknown, path: Path, issues: Issue[]): Checked {
    if (!Array.isArray(value)) return this.typeIssue(value, path, issues, 'must be an array');
    return value.map((item, index) => this.element.parseAt(item, [...path, index], issues));
  }

  min(length: number, message?: string): this {
    return this.withCheck<unknown[]>('too_small', (value) => value.length < length, message, length === 1 ? 'must not be empty' : `must have at least ${length} items`);
  }

  max(length: number, message?: string): this {
    return this.withCheck<unknown[]>('too_big', (value) => value.length > length, message, `must have at most ${length} items`);
  }
}

type Shape = { readonly [key: string]: AnySchema };
type Flatten<T> = { [K in keyof T]: T[K] };
/** Keys whose value may be undefined are optional keys; an empty shape admits no key at all. */
type ObjectOf<S extends Shape, Which extends '_output' | '_input'> = keyof S extends never
  ? Record<string, never>
  : Flatten<
      { [K in keyof S as undefined extends S[K][Which] ? never : K]: S[K][Which] } & {
        [K in keyof S as undefined extends S[K][Which] ? K : never]?: S[K][Which];
      }
    >;

export class ObjectSchema<S extends Shape> extends Schema<ObjectOf<S, '_output'>, ObjectOf<S, '_input'>> {
  private unknownKeys: 'strip' | 'strict' = 'strip';

  constructor(
    readonly shape: S,
    params?: SchemaParams,
  ) {
    super(params);
  }

  /** Keys not in the shape are an issue listing them; without strict() they are left out of the output. */
  strict(): this {
    const copy = this.copy();
    copy.unknownKeys = 'strict';
    return copy;
  }

  protected checkType(value: unknown, path: Path, issues: Issue[]): Checked {
    if (!isPlainObject(value)) return this.typeIssue(value, path, issues, 'must be an object');
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(this.shape)) {
      const present = Object.hasOwn(value, key);
      const parsed = this.shape[key]!.parseAt(present ? value[key] : undefined, [...path, key], issues);
      if (parsed !== undefined || present) out[key] = parsed;
    }
    if (this.unknownKeys === 'strict') {
      const unknown = Object.keys(value).filter((key) => !Object.hasOwn(this.shape, key));
      if (unknown.length > 0) {
        issues.push({ code: 'unrecognized_keys', path, keys: unknown, message: `unknown key${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}` });
      }
    }
    return out;
  }
}

export class RecordSchema<K extends Schema<string, string>, V extends AnySchema> extends Schema<Record<Output<K>, Output<V>>, Record<Input<K>, Input<V>>> {
  constructor(
    readonly keySchema: K,
    readonly valueSchema: V,
    params?: SchemaParams,
  ) {
    super(params);
  }

  protected checkType(value: unknown, path: Path, issues: Issue[]): Checked {
    if (!isPlainObject(value)) return this.typeIssue(value, path, issues, 'must be an object');
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const at = [...path, key];
      const parsedKey = this.keySchema.parseAt(key, at, issues) as string;
      // defineProperty, not assignment: a key such as "__proto__" must stay a plain key.
      Object.defineProperty(out, parsedKey, { value: this.valueSchema.parseAt(item, at, issues), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A deep copy of plain data (objects, arrays, primitives), which is all a default holds. */
function copyData<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyData) as T;
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, copyData(item)])) as T;
  return value;
}

/** An address such as name@example.org: a local part without spaces and a domain with a dot. */
const emailPattern = /^(?!\.)(?!.*\.\.)[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+(?<!\.)@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

export const z = {
  string: (params?: SchemaParams) => new StringSchema(params),
  /** A string that is an e-mail address; `error` is also the message for one that is not. */
  email: (params?: SchemaParams) => new StringSchema(params).regex(emailPattern, params?.error ?? 'must be an e-mail address such as name@example.org'),
  number: (params?: SchemaParams) => new NumberSchema(params),
  boolean: (params?: SchemaParams) => new BooleanSchema(params),
  enum: <const T extends readonly [string, ...string[]]>(options: T, params?: SchemaParams) => new EnumSchema<T[number]>(options, params),
  literal: <const T extends string | number | boolean>(value: T, params?: SchemaParams) => new LiteralSchema<T>(value, params),
  array: <E extends AnySchema>(element: E, params?: SchemaParams) => new ArraySchema(element, params),
  object: <S extends Shape>(shape: S, params?: SchemaParams) => new ObjectSchema(shape, params),
  record: <K extends Schema<string, string>, V extends AnySchema>(keySchema: K, valueSchema: V, params?: SchemaParams) => new RecordSchema(keySchema, valueSchema, params),
};
