// The admission service as the tests build it: Phalanx's scheduler name, routing on, gating off, no
// trusted writer and an empty owner reader unless a test says otherwise.
import { AdmissionService, type AdmissionServiceOptions } from '../../src/app/admission/admission-service.js';
import { FakeOwnerReader } from '../fakes/owner-reader.js';

export function admissionService(overrides: Partial<AdmissionServiceOptions> = {}): AdmissionService {
  return new AdmissionService({
    owners: new FakeOwnerReader(),
    schedulerName: 'phalanx-scheduler',
    routeToScheduler: true,
    gateGangs: false,
    trustedUsernames: [],
    ...overrides,
  });
}
