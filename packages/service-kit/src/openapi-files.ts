import { contractDocument, type DocumentKind } from './openapi.js';

/** Where each committed document lives, under the repository's `docs/`. */
export const openApiFiles: Record<DocumentKind, string> = {
  public: 'openapi.json',
  internal: 'openapi-internal.json',
};

/** The documents exactly as committed: stable key order, two-space indent, final newline. */
export async function renderOpenApiDocuments(): Promise<Record<DocumentKind, string>> {
  const [publicDocument, internalDocument] = await Promise.all([contractDocument('public'), contractDocument('internal')]);
  return {
    public: `${JSON.stringify(publicDocument, null, 2)}\n`,
    internal: `${JSON.stringify(internalDocument, null, 2)}\n`,
  };
}
