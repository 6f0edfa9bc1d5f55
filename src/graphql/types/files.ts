import { GraphQLError } from 'graphql';
import { scopeRule } from '../../auth/scopes.ts';
import { receiveUpload, type FileUpload } from '../../domain/files/uploads.ts';
import { builder } from '../builder.ts';
import { ErrorCode } from '../errors.ts';

function isFileUpload(value: unknown): value is FileUpload {
  return typeof value === 'object' && value !== null && typeof (value as FileUpload).stream === 'function';
}

builder.scalarType('File', {
  description: 'A file sent in a GraphQL multipart request (https://github.com/jaydenseric/graphql-multipart-request-spec).',
  serialize: () => {
    throw new Error('File is an input-only scalar');
  },
  parseValue: (value) => {
    if (isFileUpload(value)) return value;
    throw new GraphQLError('Expected a file sent as a multipart request part', { extensions: { code: ErrorCode.badUserInput } });
  },
  parseLiteral: () => {
    throw new GraphQLError('A file cannot be written in the query: send it as a multipart request part', { extensions: { code: ErrorCode.badUserInput } });
  },
});

const UploadRef = builder.prismaObject('Upload', {
  description: 'A stored file, ready to become an asset: pass its filePath to createAsset.',
  fields: (t) => ({
    filePath: t.exposeString('filePath'),
    fileSize: t.field({ type: 'SafeInt', description: 'Bytes, as stored.', resolve: (upload) => Number(upload.fileSize) }),
    mimeType: t.exposeString('mimeType', { description: 'Sniffed from the bytes, never taken from the client.' }),
    checksumSha256: t.exposeString('checksumSha256'),
  }),
});

builder.mutationFields((t) => ({
  uploadFile: t.field({
    type: UploadRef,
    description: 'Stores a file in your workspace; unattached uploads are deleted after UPLOAD_TTL_HOURS.',
    authScopes: scopeRule('Mutation', 'uploadFile'),
    args: { file: t.arg({ type: 'File', required: true }) },
    resolve: (_root, args, ctx) => receiveUpload(ctx.db, ctx.files, ctx.principal!.workspaceId, args.file),
  }),
}));
