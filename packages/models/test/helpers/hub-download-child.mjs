// A separate process that downloads one Hub file with the built package (for the two-process test):
//   node hub-download-child.mjs <endpoint> <cacheDir> <repo> <file>
// prints the result as one JSON line.
import process from 'node:process';
import { hubDownload } from '@netblocks/models/node';

const [endpoint, cacheDir, repo, file] = process.argv.slice(2);
const result = await hubDownload(repo, file, { endpoint, cacheDir, env: {} });
process.stdout.write(`${JSON.stringify(result)}\n`);
