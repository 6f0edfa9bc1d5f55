import { join } from 'node:path';
import type { Config } from '../../config.ts';
import type { ExtractLimits } from './extract.ts';
import { localDiskStorage, type FileStorage } from './storage.ts';

/** Everything the file rules need besides the database: where bytes live, and the limits. */
export interface Files {
  storage: FileStorage;
  uploadLimitBytes: number;
  uploadTtlHours: number;
  limits: ExtractLimits;
}

export type FilesConfig = Pick<Config, 'dataDir' | 'uploadLimitBytes' | 'uploadTtlHours' | 'extractTimeoutMs' | 'extractMemoryMb' | 'maxImagePixels'>;

/** Files on local disk under `DATA_DIR/uploads`. */
export function createFiles(config: FilesConfig, storage: FileStorage = localDiskStorage(join(config.dataDir, 'uploads'))): Files {
  return {
    storage,
    uploadLimitBytes: config.uploadLimitBytes,
    uploadTtlHours: config.uploadTtlHours,
    limits: { timeoutMs: config.extractTimeoutMs, memoryMb: config.extractMemoryMb, maxImagePixels: config.maxImagePixels },
  };
}
