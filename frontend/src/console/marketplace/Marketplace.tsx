import { useHashRoute } from '../router';
import { PageHeader } from '../components';
import MarketplaceSettings from './MarketplaceSettings';
import MarketplacePlans from './MarketplacePlans';
import MarketplaceListings from './MarketplaceListings';
import MarketplaceSecrets from './MarketplaceSecrets';
import { MarketplaceEndUsers, MarketplaceInstalls, MarketplaceLimitHits } from './MarketplaceUsers';
import { MarketplaceInspector, MarketplaceLinkBuilder } from './MarketplaceLinks';
import './Marketplace.css';

const tabs = [
  { path: '', label: 'Overview', page: MarketplaceSettings },
  { path: '/plans', label: 'Plans', page: MarketplacePlans },
  { path: '/listings', label: 'Listings', page: MarketplaceListings },
  { path: '/secrets', label: 'API secrets', page: MarketplaceSecrets },
  { path: '/end-users', label: 'End users', page: MarketplaceEndUsers },
  { path: '/installs', label: 'Installs', page: MarketplaceInstalls },
  { path: '/limit-hits', label: 'Refused installs', page: MarketplaceLimitHits },
  { path: '/links', label: 'Signed-link builder', page: MarketplaceLinkBuilder },
  { path: '/inspect', label: 'Token inspector', page: MarketplaceInspector },
];

export default function Marketplace() {
  const { match } = useHashRoute();
  const rest = match?.rest ?? '';
  const tab = tabs.find((t) => t.path !== '' && (rest === t.path || rest.startsWith(t.path + '/'))) ?? tabs[0];
  const Page = tab.page;
  return (
    <>
      <PageHeader
        title="Marketplace"
        subtitle="The embeddable integration catalog: signed-link login, plans, listings and the installs of your end users."
        actions={
          <a className="button" href="/marketplace" target="_blank" rel="noopener noreferrer">
            Open the marketplace
          </a>
        }
      />
      <nav className="mpc-tabs" aria-label="Marketplace sections">
        {tabs.map((t) => (
          <a
            key={t.path}
            href={'#/marketplace' + t.path}
            className={t === tab ? 'mpc-tab active' : 'mpc-tab'}
            aria-current={t === tab ? 'page' : undefined}
          >
            {t.label}
          </a>
        ))}
      </nav>
      <Page />
    </>
  );
}
