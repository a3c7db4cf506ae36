// Starts the real `brygga serve` for the node tests (tests/browser, tests/client): HTTPS only, on
// a free port, with the dev certificates, the repository's mapping files and a data dir in `dir`;
// `extra` adds to or overrides the top-level config sections. Resolves to { child, port } once
// the gateway says which port it took; rejects when it exits first (its log: dir/gateway.log).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export function startServe({ bin, certs, source, dir, extra = {} }) {
  const config = {
    server: { httpsBindAddress: '127.0.0.1', httpPort: -1, httpsPort: 0 },
    tls: { certificateFile: path.join(certs, 'server.crt'), privateKeyFile: path.join(certs, 'server.key'), caFile: path.join(certs, 'ca.crt') },
    dataDir: path.join(dir, 'data'),
    mappings: { directory: path.join(source, 'mappings', 'data') },
    ...extra,
  };
  const configFile = path.join(dir, 'config.json');
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  const child = spawn(bin, ['serve', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr.pipe(fs.createWriteStream(path.join(dir, 'gateway.log')));
  return new Promise((resolve, reject) => {
    let text = '';
    child.on('exit', (code) => reject(new Error('brygga exited with ' + code + '; see ' + path.join(dir, 'gateway.log'))));
    child.stdout.on('data', (chunk) => {
      text += chunk;
      const m = /https-port=(\d+)/.exec(text);
      if (m) {
        child.removeAllListeners('exit');
        resolve({ child, port: Number(m[1]) });
      }
    });
  });
}
