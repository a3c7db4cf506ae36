// Brygga's FHIR API as a third-party client sees it: fhir-kit-client (npm) against the real
// brygga binary over HTTPS, with a stand-in regional EHR that accepts every delivery.
//
// A municipality enrolls a patient (a transaction), records Conditions, searches them with
// _include and pages through them with the client's own nextPage, patches one (JSON Patch),
// deletes it (a later read is 410 and the history shows the delete), reads the
// CapabilityStatement, and finds nothing of another municipality's patient.
//
// Environment: BRYGGA_BIN, BRYGGA_CERTS_DIR (certs/make-dev-certs.sh output; its CA is trusted
// through NODE_EXTRA_CA_CERTS, set by run.sh), BRYGGA_SOURCE_DIR, BRYGGA_OUT_DIR.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Client } from 'fhir-kit-client';
import { startServe } from './serve.mjs';

const bin = process.env.BRYGGA_BIN;
const certs = process.env.BRYGGA_CERTS_DIR;
const source = process.env.BRYGGA_SOURCE_DIR;
const out = process.env.BRYGGA_OUT_DIR;

let failures = 0;
function check(condition, what) {
  console.log((condition ? 'ok   ' : 'FAIL ') + what);
  if (!condition) failures++;
}

// The regional EHR stand-in: accepts every transaction.
function startPeer() {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('Content-Type', 'application/fhir+json');
      res.end(JSON.stringify({ resourceType: 'Bundle', type: 'transaction-response', entry: [] }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function startGateway(peerPort, dir) {
  return startServe({
    bin, certs, source, dir,
    extra: { destinations: { regional: { baseUrl: 'http://127.0.0.1:' + peerPort + '/fhir' } } },
  });
}

// The status of a request the client refused to return (it throws on 4xx and 5xx).
async function statusOf(promise) {
  try {
    await promise;
    return 200;
  } catch (e) {
    if (e.response && e.response.status) return e.response.status;
    throw e;
  }
}

function enrollment(pnr, episode) {
  const text = fs.readFileSync(path.join(source, 'tests', 'testdata', 'enrollment-bundle.json'), 'utf8');
  return JSON.parse(text.split('19121212-1212').join(pnr).split('191212121212').join(pnr.replace('-', ''))
    .split('E-1001').join(episode));
}

async function main() {
  const dir = fs.mkdtempSync(path.join(out, 'run-'));
  const peer = await startPeer();
  const gateway = await startGateway(peer.address().port, dir);
  try {
    const baseUrl = 'https://localhost:' + gateway.port + '/fhir';
    const kungsbacka = new Client({ baseUrl, bearerToken: 'dev-token-kungsbacka' });
    const falkenberg = new Client({ baseUrl, bearerToken: 'dev-token-falkenberg' });

    const capability = await kungsbacka.capabilityStatement();
    const condition = capability.rest[0].resource.find((r) => r.type === 'Condition');
    check(condition.interaction.some((i) => i.code === 'patch') && condition.interaction.some((i) => i.code === 'delete'),
      'the CapabilityStatement claims patch and delete on Condition');
    check((condition.searchInclude || []).includes('Condition:subject'), 'and _include Condition:subject');

    const enrolled = await kungsbacka.transaction({ body: enrollment('19121212-1212', 'E-1001') });
    const patientId = enrolled.entry[0].resource.id;
    check(enrolled.type === 'transaction-response' && patientId, 'an enrollment transaction is answered with the Patient');

    const ids = [];
    for (const text of ['Fall', 'Trycksår', 'Hjärtsvikt']) {
      const created = await kungsbacka.create({
        resourceType: 'Condition',
        body: { resourceType: 'Condition', code: { text }, subject: { reference: 'Patient/' + patientId } },
      });
      ids.push(created.id);
    }
    check(ids.length === 3 && ids.every(Boolean), 'three Conditions are created');

    // Search with _include, paged by the client's own nextPage until there is none.
    let page = await kungsbacka.search({
      resourceType: 'Condition',
      searchParams: { patient: patientId, _include: 'Condition:subject', _count: 2, _sort: '_id' },
    });
    check(page.total === 3, 'the search counts three matches (total ' + page.total + ')');
    const seen = [];
    let included = 0;
    for (let pages = 0; page && pages < 5; pages++) {
      for (const e of page.entry || []) {
        if (e.search.mode === 'match') seen.push(e.resource.id);
        else if (e.resource.resourceType === 'Patient' && e.resource.id === patientId) included++;
      }
      page = await kungsbacka.nextPage({ bundle: page });
    }
    check(JSON.stringify(seen) === JSON.stringify([...ids].sort()), 'nextPage walks every match once, in _sort order');
    check(included === 2, 'each page includes the Patient its matches concern (' + included + ' pages)');

    // PATCH, then a read shows it.
    const patched = await kungsbacka.patch({
      resourceType: 'Condition', id: ids[0],
      jsonPatch: [{ op: 'replace', path: '/code/text', value: 'Fall i hemmet' }],
    });
    check(patched.meta.versionId === '2' && patched.code.text === 'Fall i hemmet', 'a JSON Patch makes version 2');
    const read = await kungsbacka.read({ resourceType: 'Condition', id: ids[0] });
    check(read.code.text === 'Fall i hemmet', 'a read shows the patched text');

    // DELETE: a later read is 410, the history lists the delete, a search leaves it out.
    await kungsbacka.delete({ resourceType: 'Condition', id: ids[1] });
    check((await statusOf(kungsbacka.read({ resourceType: 'Condition', id: ids[1] }))) === 410, 'a deleted Condition reads as 410');
    const history = await kungsbacka.history({ resourceType: 'Condition', id: ids[1] });
    check(history.total === 2 && history.entry[0].request.method === 'DELETE', 'its history lists the delete first');
    const after = await kungsbacka.search({ resourceType: 'Condition', searchParams: { patient: patientId } });
    check(after.total === 2, 'a search no longer finds it');

    // Another municipality sees nothing of this patient, whichever way it asks.
    check((await statusOf(falkenberg.read({ resourceType: 'Condition', id: ids[0] }))) === 404, 'Falkenberg reads 404');
    const theirs = await falkenberg.search({ resourceType: 'Condition', searchParams: { patient: patientId, _include: 'Condition:subject' } });
    check(theirs.total === 0 && !(theirs.entry || []).length, 'Falkenberg\'s search finds and includes nothing');
    check((await statusOf(falkenberg.patch({ resourceType: 'Condition', id: ids[0], jsonPatch: [{ op: 'remove', path: '/code' }] }))) === 404,
      'Falkenberg\'s patch is 404 as for nothing there');
  } finally {
    gateway.child.kill('SIGTERM');
    peer.close();
  }
  if (failures) {
    console.log(failures + ' check(s) failed');
    process.exit(1);
  }
  console.log('all checks passed');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
