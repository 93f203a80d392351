import { serveTasks } from '../../lib/worker-pool.js';
import { parseUpload } from './parse-upload.js';

// The entry of the import's parse worker (see parse-upload.ts).
serveTasks(parseUpload);
