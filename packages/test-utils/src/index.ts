export { expectTensorsClose, maxRelativeDifference } from './tensors.js';
export { expectNoLeakedTensors } from './leaks.js';
export { expectLayerRoundTrip, expectModelRoundTrip } from './serialization.js';
export { useBackend } from './backend.js';
export { randomizeBatchNorms } from './batch-norms.js';
export { startHubServer } from './hub-server.js';
export type { Fault, HubServer, LoggedRequest } from './hub-server.js';
