import { useHashRoute } from '../router';
import { PageHeader } from '../components';
import { DestinationEditor, DestinationList } from './RelayDestinations';
import RelayDeliveries from './RelayDeliveries';
import RelaySink from './RelaySink';
import './Relay.css';

const tabs = [
  { path: '', label: 'Destinations' },
  { path: '/deliveries', label: 'Deliveries' },
  { path: '/sink', label: 'Sink' },
];

/** #/relay, #/relay/destinations/<id|new>, #/relay/deliveries?destination=…, #/relay/sink/<name> */
export default function Relay() {
  const { match, hash } = useHashRoute();
  const rest = match?.rest ?? '';
  const tab = tabs.find((t) => t.path !== '' && (rest === t.path || rest.startsWith(t.path + '/'))) ?? tabs[0];
  let body;
  if (tab.path === '/deliveries') {
    body = <RelayDeliveries key={hash} />;
  } else if (tab.path === '/sink') {
    body = <RelaySink name={decodeURIComponent(rest.slice('/sink/'.length))} />;
  } else if (rest.startsWith('/destinations/')) {
    const id = decodeURIComponent(rest.slice('/destinations/'.length));
    body = <DestinationEditor key={id} id={id} />;
  } else {
    body = <DestinationList />;
  }
  return (
    <>
      <PageHeader
        title="Relay"
        subtitle="Submitted imports delivered to HTTP destinations: param fields, environment secrets, nested JSON, session-token checks, retries that lose nothing."
      />
      <nav className="rly-tabs" aria-label="Relay sections">
        {tabs.map((t) => (
          <a key={t.path} href={'#/relay' + t.path} className={t === tab ? 'rly-tab active' : 'rly-tab'} aria-current={t === tab ? 'page' : undefined}>
            {t.label}
          </a>
        ))}
      </nav>
      {body}
    </>
  );
}
