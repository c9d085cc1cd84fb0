// The UI's entry point, and the only place that looks at the window: the Electron preload's
// AdminApi when there is one, otherwise the HTTP client for the admin port with the token from
// the link (#token=…), which is moved into sessionStorage and out of the address bar at once.
import { StrictMode, useMemo, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { adminApiGlobalName, type AdminApi } from '../../server/control/contract';
import SignIn, { tokenFromInput } from '../pages/SignIn';
import { ApiProvider } from './api';
import { App } from './App';
import { createHttpAdminApi } from './http-admin-api';
import './styles.css';

const tokenKey = 'hearth.adminToken';

function takeTokenFromUrl(): void {
  if (!/[#&]token=/.test(window.location.hash)) return;
  const token = tokenFromInput(window.location.hash);
  if (token) sessionStorage.setItem(tokenKey, token);
  // Out of the address bar and the history, so it is not shared by accident.
  window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}#/`);
}

function BrowserRoot() {
  const [token, setToken] = useState<string | undefined>(() => sessionStorage.getItem(tokenKey) ?? undefined);
  const [reason, setReason] = useState<string | undefined>();
  const current = useRef(token);
  current.current = token;
  const api = useMemo(
    () =>
      createHttpAdminApi({
        getToken: () => current.current,
        onUnauthorized: () => {
          sessionStorage.removeItem(tokenKey);
          current.current = undefined;
          setReason('Hearth did not accept that admin token. Open the newest link it printed.');
          setToken(undefined);
        },
      }),
    [],
  );
  if (!token) {
    return (
      <SignIn
        reason={reason}
        onToken={(value) => {
          sessionStorage.setItem(tokenKey, value);
          current.current = value;
          setReason(undefined);
          setToken(value);
        }}
      />
    );
  }
  return (
    <ApiProvider api={api}>
      <App key={token} />
    </ApiProvider>
  );
}

takeTokenFromUrl();
const injected = (window as unknown as Record<string, AdminApi | undefined>)[adminApiGlobalName];
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    {injected ? (
      <ApiProvider api={injected}>
        <App />
      </ApiProvider>
    ) : (
      <BrowserRoot />
    )}
  </StrictMode>,
);
