import { readFileSync } from 'node:fs';
import { runScript } from './script.js';
const c = runScript(process.env.F!, readFileSync(process.env.F!, 'utf8'));
for (const id of c.ids()) { const n = c.member(id).node; console.log(`${id} ${n ? JSON.stringify({...n.status(), progress: undefined}) : 'crashed'} ${c.member(id).applied.join(' ')}`); }
