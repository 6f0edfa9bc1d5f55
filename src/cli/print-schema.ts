import { writeFile } from 'node:fs/promises';
import { printSortedSchema } from '../graphql/schema.ts';

/** Part of `npm run generate`: writes schema.graphql from the code (a test checks it is current). */
await writeFile(new URL('../../schema.graphql', import.meta.url), printSortedSchema());
console.log('Wrote schema.graphql');
