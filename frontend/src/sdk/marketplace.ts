/**
 * Fusebox marketplace SDK — foundation skeleton.
 *
 * This file exists so the SDK library build (dist/sdk/marketplace.js, marketplace.d.ts)
 * has its entry point. It is deliberately minimal: the iframe and the postMessage
 * events are added by the marketplace work.
 */

export interface FuseboxMarketplaceOptions {
  /** Origin of the Fusebox server, e.g. "http://127.0.0.1:8787". Defaults to the page's origin. */
  baseUrl?: string;
}

export default class FuseboxMarketplace {
  readonly baseUrl: string;

  constructor(options: FuseboxMarketplaceOptions = {}) {
    this.baseUrl = (options.baseUrl ?? window.location.origin).replace(/\/+$/, '');
  }

  /** URL of the marketplace page for an end user arriving with a signed link token. */
  embedUrl(jwt: string): string {
    return `${this.baseUrl}/marketplace?jwt=${encodeURIComponent(jwt)}`;
  }
}

export { FuseboxMarketplace };
