import netblocks from './tools/build-config/eslint.js';

export default netblocks;
