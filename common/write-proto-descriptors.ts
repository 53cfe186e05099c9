// Rewrites protos/generated/punctual-v1.json from the punctual.v1 .proto files
// (common/proto-descriptors.ts). `npm run protos` runs it after generating
// the types; by hand: npm run build && node dist/common/write-proto-descriptors.js
import fs from 'node:fs';
import { descriptorsText } from './proto-descriptors.js';
import { descriptorsFile } from './protos.js';

fs.writeFileSync(descriptorsFile(), descriptorsText());
process.stdout.write(`wrote ${descriptorsFile()}\n`);
