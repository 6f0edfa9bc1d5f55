import { join } from 'node:path';
import type { Config } from '../../config.ts';
import type { ExtractLimits } from './extract.ts';
import { Renderer } from './renditions.ts';
import type { Signing } from './signing.ts';
import { createStorage, type FileStorage } from './storage/index.ts';

/** Everything the file rules need besides the database: where bytes live, and the limits. */
export interface Files {
  storage: FileStorage;
  uploadLimitBytes: number;
  uploadTtlHours: number;
  limits: ExtractLimits;
  /** This process's render slots and their limits (RENDITION_*). */
  renderer: Renderer;
  /** Signs and checks signed URLs; its signer is set once the database is open (buildApp: loadSigningSecret). */
  signing: Signing;
}

export type FilesConfig = Pick<
  Config,
  | 'dataDir'
  | 'storage'
  | 'uploadLimitBytes'
  | 'graphqlUploadLimitBytes'
  | 'uploadTtlHours'
  | 'extractTimeoutMs'
  | 'extractMemoryMb'
  | 'maxImagePixels'
  | 'searchTextLimitBytes'
  | 'renditions'
>;

/** Files in the store STORAGE_URL names (local disk under `DATA_DIR/uploads` by default). */
export function createFiles(
  config: FilesConfig,
  storage: FileStorage = createStorage(config.storage, {
    tmpDir: join(config.dataDir, 'tmp'),
    maxFileBytes: Math.max(config.uploadLimitBytes, config.graphqlUploadLimitBytes),
  }),
): Files {
  return {
    storage,
    uploadLimitBytes: config.uploadLimitBytes,
    uploadTtlHours: config.uploadTtlHours,
    limits: {
      timeoutMs: config.extractTimeoutMs,
      memoryMb: config.extractMemoryMb,
      maxImagePixels: config.maxImagePixels,
      textLimitBytes: config.searchTextLimitBytes,
    },
    renderer: new Renderer(config.renditions),
    signing: { signer: null },
  };
}
