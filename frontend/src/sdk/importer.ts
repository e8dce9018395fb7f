/**
 * Fusebox importer SDK — foundation skeleton.
 *
 * This file exists so the SDK library build (dist/sdk/importer.js, importer.umd.js,
 * importer.d.ts) has its entry point. It is deliberately minimal: session tokens,
 * the iframe and the submit/close events are added by the importer SDK work.
 */

export interface FuseboxImporterOptions {
  /** Origin of the Fusebox server, e.g. "http://127.0.0.1:8787". Defaults to the page's origin. */
  baseUrl?: string;
}

export default class FuseboxImporter {
  readonly baseUrl: string;

  constructor(options: FuseboxImporterOptions = {}) {
    this.baseUrl = (options.baseUrl ?? window.location.origin).replace(/\/+$/, '');
  }

  /** URL of the importer page that the SDK embeds in an iframe. */
  embedUrl(): string {
    return `${this.baseUrl}/embed/importer`;
  }
}

export { FuseboxImporter };
