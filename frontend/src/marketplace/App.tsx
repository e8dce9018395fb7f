import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, getAutoHeight, getSession, getStoredParent, ApiError, setAutoHeight, setSession, setStoredParent, type Config, type Me } from './api';
import { EventChannel, listingUrl, marketplaceUrl, postContentHeight } from './events';
import { takeTokenFromUrl, useRoute, type Route } from './router';
import Catalog from './Catalog';
import ListingPage from './ListingPage';
import Installed from './Installed';
import { PlanBadge } from './ui';

type Boot = { kind: 'loading' } | { kind: 'ready' } | { kind: 'error'; message: string };

export interface Ctx {
  me: Me | null;
  events: EventChannel;
  go: (r: Route) => void;
  refreshMe: () => Promise<void>;
  loginRequired: (listingId: string) => void;
}

export default function App() {
  const [route, go] = useRoute();
  const [boot, setBoot] = useState<Boot>({ kind: 'loading' });
  const [config, setConfig] = useState<Config | null>(null);
  const [me, setMe] = useState<Me | null>(null);
  const [loginError, setLoginError] = useState('');
  const [loginNotice, setLoginNotice] = useState('');
  const events = useMemo(() => new EventChannel(), []);
  const started = useRef(false);

  const refreshMe = useCallback(async () => {
    if (!getSession()) {
      setMe(null);
      return;
    }
    try {
      setMe(await api.me());
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        setSession(null);
        setMe(null);
      } else throw e;
    }
  }, []);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    const token = takeTokenFromUrl();
    const params = new URLSearchParams(window.location.search);
    // The host page's origin: ?origin= (set by the SDK), else the one validated earlier in this
    // tab (in-frame navigations change document.referrer), plus document.referrer; the server
    // checks both against embed_origins.
    const originParam = params.get('origin') ?? getStoredParent() ?? '';
    const referrer = document.referrer;
    (async () => {
      const cfg = await api.config(originParam, referrer);
      setConfig(cfg);
      events.setParentOrigin(cfg.parent_origin);
      if (cfg.parent_origin) setStoredParent(cfg.parent_origin);
      if (token) {
        try {
          const res = await api.login(token);
          setSession(res.session);
          setMe({ user: res.user, plan: res.plan, usage: res.usage, expires_at: res.expires_at });
        } catch (e) {
          setSession(null);
          setLoginError(e instanceof Error ? e.message : String(e));
        }
      } else {
        await refreshMe();
      }
      setBoot({ kind: 'ready' });
      events.emit('ready', window.location.href.split('#')[0], '');
    })().catch((e: unknown) => setBoot({ kind: 'error', message: e instanceof Error ? e.message : String(e) }));
  }, [events, refreshMe]);

  useEffect(() => {
    if (config) document.title = config.title;
  }, [config]);

  // When the host asked for it (the SDK's mount with height "auto" adds ?autoheight=1), the framed page
  // is as tall as its content (no min-height) and tells the host page its height.
  useEffect(() => {
    if (new URLSearchParams(window.location.search).get('autoheight') === '1') setAutoHeight(true);
    if (!config?.parent_origin || window.parent === window || !getAutoHeight()) return;
    document.documentElement.classList.add('mp-framed');
    return postContentHeight(events, () => document.body.getBoundingClientRect().height);
  }, [config, events]);

  const loginRequired = useCallback(
    (listingId: string) => {
      const posted = events.emit('user_login_required', listingUrl(listingId), '');
      setLoginNotice(
        posted
          ? 'Sign in to install integrations: your app has been asked to sign you in.'
          : 'Sign in to install integrations: open this marketplace from your app, which signs you in.',
      );
    },
    [events],
  );

  if (boot.kind === 'loading') return <div className="mp-loading" role="status">Loading the marketplace…</div>;
  if (boot.kind === 'error')
    return (
      <div className="mp-shell">
        <div className="mp-alert mp-alert-error" role="alert">The marketplace could not start: {boot.message}</div>
      </div>
    );

  const ctx: Ctx = { me, events, go, refreshMe, loginRequired };
  const installedCount = me?.usage.integrations ?? 0;
  return (
    <div className="mp-shell">
      <header className="mp-header">
        <a
          className="mp-brand"
          href="/marketplace"
          onClick={(e) => {
            e.preventDefault();
            go({ view: 'catalog' });
          }}
        >
          {config?.title ?? 'Integrations'}
        </a>
        <nav className="mp-nav" aria-label="Marketplace">
          <a
            href="/marketplace"
            className={route.view !== 'installed' ? 'active' : ''}
            onClick={(e) => {
              e.preventDefault();
              go({ view: 'catalog' });
            }}
          >
            Catalog
          </a>
          {me && (
            <a
              href="/marketplace/installed"
              className={route.view === 'installed' ? 'active' : ''}
              onClick={(e) => {
                e.preventDefault();
                go({ view: 'installed' });
              }}
            >
              Installed{installedCount ? ` (${installedCount})` : ''}
            </a>
          )}
        </nav>
        <div className="mp-user" data-testid="mp-user">
          {me ? (
            <>
              <span className="mp-user-name">{[me.user.firstname, me.user.lastname].filter(Boolean).join(' ') || me.user.external_id}</span>
              <PlanBadge plan={me.plan} />
            </>
          ) : (
            <span className="mp-muted">Not signed in</span>
          )}
        </div>
      </header>
      {loginError && (
        <div className="mp-alert mp-alert-error" role="alert">
          <strong>Signing in failed.</strong> {loginError} You can still browse the catalog.
        </div>
      )}
      {loginNotice && !me && (
        <div className="mp-alert mp-alert-info" role="status">
          {loginNotice}
        </div>
      )}
      {me?.user.plan_note && <div className="mp-alert mp-alert-info">{me.user.plan_note}.</div>}
      <main className="mp-main">
        {route.view === 'catalog' && <Catalog ctx={ctx} categories={config?.categories ?? []} />}
        {route.view === 'listing' && <ListingPage key={route.id} ctx={ctx} id={route.id} />}
        {route.view === 'installed' && <Installed ctx={ctx} />}
      </main>
      <footer className="mp-footer">
        <a href={marketplaceUrl()} target="_blank" rel="noopener noreferrer">
          Powered by Fusebox
        </a>
      </footer>
    </div>
  );
}
