import { strict as assert } from 'node:assert';
import { allowed, decodeReview, denied, encodeReview, errored, patched, warningText } from '../../src/admission/review.js';
import { denialMessage, handleValidate, reviewOf } from '../../src/admission/handler.js';
import { isStagewallError } from '../../src/errors.js';
import { loadConfigFile } from '../../src/config/load.js';
import { examplesView } from '../helpers/view.js';
import { admissionReview, pod } from '../helpers/review.js';

describe('admission/review: decodeReview', () => {
  const base = admissionReview(pod('etl-load', 'p'));
  const request = base['request'] as Record<string, unknown>;
  const bad: { name: string; body: unknown; error: RegExp }[] = [
    { name: 'not an object', body: 'x', error: /must be a JSON object/ },
    { name: 'another kind', body: { ...base, kind: 'Review' }, error: /kind must be "AdmissionReview"/ },
    {
      name: 'an unknown apiVersion',
      body: { ...base, apiVersion: 'admission.k8s.io/v2' },
      error: /apiVersion must be one of admission\.k8s\.io\/v1, admission\.k8s\.io\/v1beta1/,
    },
    { name: 'no request', body: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, error: /has no request/ },
    { name: 'an empty uid', body: { ...base, request: { ...request, uid: '' } }, error: /has no uid/ },
    {
      name: 'an unknown operation',
      body: { ...base, request: { ...request, operation: 'PATCH' } },
      error: /request\.operation must be one of CREATE, UPDATE, DELETE, CONNECT/,
    },
    { name: 'an object that is a list', body: { ...base, request: { ...request, object: [1] } }, error: /request\.object must be an object/ },
  ];
  for (const c of bad) {
    it(`refuses ${c.name} with ADMISSION_BAD_REQUEST`, () => {
      assert.throws(
        () => decodeReview(c.body),
        (err: unknown) => isStagewallError(err) && err.code === 'ADMISSION_BAD_REQUEST' && c.error.test(err.message),
      );
    });
  }
  it('accepts v1 and v1beta1, and a null oldObject', () => {
    assert.equal(decodeReview(base).apiVersion, 'admission.k8s.io/v1');
    assert.equal(decodeReview({ ...base, apiVersion: 'admission.k8s.io/v1beta1' }).apiVersion, 'admission.k8s.io/v1beta1');
  });
});

describe('admission/review: named responses', () => {
  it('allowed, denied (403), errored (400), patched (base64 JSON Patch) and an envelope of the same version', () => {
    assert.deepEqual(allowed('u'), { uid: 'u', allowed: true });
    assert.deepEqual(denied('u', 'no').status, { code: 403, reason: 'Forbidden', status: 'Failure', message: 'no' });
    assert.equal(errored('u', 400, 'bad').status?.code, 400);
    const p = patched('u', [{ op: 'add', path: '/metadata/labels/a~1b', value: 'c' }]);
    assert.equal(p.patchType, 'JSONPatch');
    assert.deepEqual(JSON.parse(Buffer.from(p.patch ?? '', 'base64').toString()), [{ op: 'add', path: '/metadata/labels/a~1b', value: 'c' }]);
    assert.deepEqual(patched('u', []), { uid: 'u', allowed: true }, 'no patch, no patchType');
    assert.deepEqual(encodeReview('admission.k8s.io/v1beta1', allowed('u')), {
      apiVersion: 'admission.k8s.io/v1beta1',
      kind: 'AdmissionReview',
      response: { uid: 'u', allowed: true },
    });
  });
  it('warningText folds control characters, which would make the API server drop the warning', () => {
    assert.equal(warningText('a\nb\tc\u0007'), 'a b c');
  });
  it('warningText keeps a warning within 256 characters', () => {
    const w = warningText(`[rule] ${'x'.repeat(400)}`);
    assert.equal(w.length, 256);
    assert.ok(w.startsWith('[rule] ') && w.endsWith('…'));
  });
});

describe('admission/handler', () => {
  const ctx = { config: loadConfigFile('examples/stagewall.yaml'), view: examplesView() };
  it('reviewOf maps a request to the engine input, null objects to undefined', () => {
    const r = reviewOf({ uid: 'u', operation: 'DELETE', object: null, oldObject: { kind: 'Pod' }, namespace: 'n', userInfo: { username: 'a' } });
    assert.deepEqual(r, { operation: 'DELETE', object: undefined, oldObject: { kind: 'Pod' }, namespace: 'n', user: { username: 'a' } });
  });
  it('a denial joins only the denying violations, each led by its rule id', () => {
    const request = decodeReview(admissionReview(pod('etl-transform', 'x'))).request;
    const { response, decision } = handleValidate(request, ctx);
    assert.ok(decision);
    assert.equal(response.status?.message, denialMessage(decision));
    assert.match(denialMessage(decision), /^\[stage-label-missing\] /);
    assert.equal(response.warnings, undefined, 'no warnings beside a denial of deny-only violations');
  });
});
