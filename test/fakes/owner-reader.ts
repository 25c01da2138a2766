// In-memory OwnerReader: Jobs, PodGroups and upstream (scheduling.k8s.io) PodGroups by "<namespace>/<name>", with scripted failures.
import type { JobFacts, OwnerReader, WorkloadPodGroupFacts } from '../../src/app/admission/ports.js';

export class FakeOwnerReader implements OwnerReader {
  readonly jobs = new Map<string, JobFacts>();
  readonly podGroups = new Map<string, number>();
  readonly workloadPodGroups = new Map<string, WorkloadPodGroupFacts>();
  /** Keys whose lookup rejects, with the error message. */
  readonly failures = new Map<string, string>();
  readonly calls: string[] = [];

  readJob(namespace: string, name: string): Promise<JobFacts | undefined> {
    return this.#answer(`job ${namespace}/${name}`, () => this.jobs.get(`${namespace}/${name}`));
  }

  readPodGroupMinMember(namespace: string, name: string): Promise<number | undefined> {
    return this.#answer(`podgroup ${namespace}/${name}`, () => this.podGroups.get(`${namespace}/${name}`));
  }

  readWorkloadPodGroup(namespace: string, name: string): Promise<WorkloadPodGroupFacts | undefined> {
    return this.#answer(`workload-podgroup ${namespace}/${name}`, () =>
      this.workloadPodGroups.get(`${namespace}/${name}`),
    );
  }

  #answer<T>(call: string, read: () => T): Promise<T> {
    this.calls.push(call);
    const failure = this.failures.get(call);
    return failure === undefined ? Promise.resolve(read()) : Promise.reject(new Error(failure));
  }
}
