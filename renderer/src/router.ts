// Pages by the URL fragment (#/users): works from the admin port and from a file in Electron,
// and never reaches the server. The admin token also arrives in the fragment (#token=…) and is
// taken out of it at start (main.tsx).
import { useEffect, useState } from 'react';

export const routes = ['dashboard', 'users', 'invites', 'circles', 'certificates', 'tor', 'network', 'storage', 'privacy', 'settings'] as const;
export type Route = (typeof routes)[number];

export function routeFromHash(hash: string): Route {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return (routes as readonly string[]).includes(name) ? (name as Route) : 'dashboard';
}

export function hrefFor(route: Route): string {
  return route === 'dashboard' ? '#/' : `#/${route}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => routeFromHash(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(routeFromHash(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
