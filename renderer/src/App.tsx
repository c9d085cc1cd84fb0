// The UI's shell: the setup wizard until an admin exists, then the pages with a navigation bar.
import { useCallback, useEffect, useState } from 'react';
import Certificates from '../pages/Certificates';
import Circles from '../pages/Circles';
import Dashboard from '../pages/Dashboard';
import Invites from '../pages/Invites';
import Privacy from '../pages/Privacy';
import Settings from '../pages/Settings';
import Setup from '../pages/Setup';
import Storage from '../pages/Storage';
import Network from '../pages/Network';
import Tor from '../pages/Tor';
import Users from '../pages/Users';
import { capitalize, useApi } from './api';
import { Alert, Button, Loading, Logo } from './components';
import { hrefFor, useRoute, type Route } from './router';

const pageNames: Record<Route, string> = { dashboard: 'Dashboard', users: 'Users', invites: 'Invites', circles: 'Circles', certificates: 'Certificates', tor: 'Tor', network: 'Network', storage: 'Storage', privacy: 'Privacy', settings: 'Settings' };

export function App() {
  const api = useApi();
  const [phase, setPhase] = useState<'loading' | 'setup' | 'ready' | { error: string }>('loading');
  const check = useCallback(async () => {
    setPhase('loading');
    const result = await api.request('setup.status', {});
    setPhase(result.ok ? (result.value.needed ? 'setup' : 'ready') : { error: capitalize(result.error) });
  }, [api]);
  useEffect(() => {
    void check();
  }, [check]);

  if (phase === 'loading') {
    return (
      <div className="center-page">
        <Loading label="Connecting to Hearth…" />
      </div>
    );
  }
  if (typeof phase === 'object') {
    return (
      <div className="center-page">
        <Alert kind="error" title="Hearth did not answer" action={<Button variant="secondary" onClick={check}>Try again</Button>}>
          {phase.error}
        </Alert>
      </div>
    );
  }
  if (phase === 'setup') {
    return (
      <Setup
        onDone={() => {
          window.location.hash = '#/';
          setPhase('ready');
        }}
      />
    );
  }
  return <Shell />;
}

function Shell() {
  const route = useRoute();
  useEffect(() => {
    document.title = `${pageNames[route]} · Hearth`;
  }, [route]);
  return (
    <div className="shell">
      <a className="skip-link" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to the page
      </a>
      <header className="topbar">
        <a className="brand" href="#/">
          <Logo />
          <span className="brand-name">Hearth</span>
        </a>
        <nav aria-label="Pages" className="nav">
          {(Object.keys(pageNames) as Route[]).map((name) => (
            <a key={name} href={hrefFor(name)} className="nav-link" aria-current={route === name ? 'page' : undefined}>
              {pageNames[name]}
            </a>
          ))}
        </nav>
      </header>
      <main id="main" className="content" tabIndex={-1}>
        {route === 'dashboard' && <Dashboard />}
        {route === 'users' && <Users />}
        {route === 'invites' && <Invites />}
        {route === 'circles' && <Circles />}
        {route === 'certificates' && <Certificates />}
        {route === 'tor' && <Tor />}
        {route === 'network' && <Network />}
        {route === 'storage' && <Storage />}
        {route === 'privacy' && <Privacy />}
        {route === 'settings' && <Settings />}
      </main>
    </div>
  );
}
