// How to connect a phone or computer: the same steps in the setup wizard and on the dashboard.
import type { Status } from '../../server/control/contract';

export function ConnectSteps({ domain, jid, status }: { domain: string; jid?: string; status: Status | undefined }) {
  const c2s = status?.listeners.find((l) => l.name === 'c2s')?.port ?? 5222;
  const lan = status?.lanAddresses ?? [];
  return (
    <ol className="connect-steps">
      <li>
        Install a chat app: <strong>Conversations</strong> on Android, <strong>Monal</strong> or <strong>Siskin</strong> on iPhone and iPad, <strong>Gajim</strong> or{' '}
        <strong>Dino</strong> on a computer.
      </li>
      <li>
        Choose to sign in with an account you already have (not "create a new account"), and enter {jid ? <span className="mono">{jid}</span> : <>the address <span className="mono">name@{domain}</span></>} and the
        password.
      </li>
      <li>
        If the app cannot find <span className="mono">{domain}</span>, open its advanced options and set the server (or host name) to{' '}
        {lan.length > 0 ? (
          <>
            this computer's address on your network:{' '}
            {lan.map((address, i) => (
              <span key={address}>
                {i > 0 && ' or '}
                <span className="mono">{address}</span>
              </span>
            ))}
          </>
        ) : (
          "this computer's address on your network"
        )}
        {c2s !== 5222 && (
          <>
            , port <span className="mono">{c2s}</span>
          </>
        )}
        .
      </li>
      {status?.certificate.selfSigned !== false && (
        <li>
          The first time, the app shows Hearth's certificate and asks whether to trust it: accept it. (Monal and Siskin need a certificate from a public authority; until
          Hearth has one, iPhones may not connect.)
        </li>
      )}
    </ol>
  );
}
