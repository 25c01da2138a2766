// Pods as kube-scheduler leaves them when they wait: Phalanx's scheduler, PodScheduled=False/Unschedulable.
import type { CandidatePod } from '../../../src/core/autoscaling/waiting-demand.js';

export const SCHEDULER = 'phalanx-scheduler';
export const T0 = Date.parse('2026-01-01T00:00:00Z');

export interface PodOptions {
  readonly fraction?: string;
  readonly memory?: string;
  readonly gpus?: number;
  readonly group?: string;
  readonly size?: number;
  readonly required?: string;
  readonly nodeSelector?: Record<string, string>;
  readonly tolerations?: { key: string; operator: string; effect?: string }[];
  readonly unschedulableAt?: number;
  readonly node?: string;
  readonly gates?: string[];
  readonly namespace?: string;
  readonly schedulerName?: string;
  readonly cpu?: string;
  /** kube-scheduler's reason: Unschedulable (default) or SchedulerError (an extender refusal). */
  readonly reason?: string;
}

export function pod(name: string, o: PodOptions = {}): CandidatePod {
  const annotations: Record<string, string> = {};
  if (o.fraction !== undefined) annotations['phalanx.dev/gpu-fraction'] = o.fraction;
  if (o.memory !== undefined) annotations['phalanx.dev/gpu-memory'] = o.memory;
  if (o.group !== undefined) annotations['phalanx.dev/pod-group'] = o.group;
  if (o.size !== undefined) annotations['phalanx.dev/group-size'] = String(o.size);
  if (o.required !== undefined) annotations['phalanx.dev/topology-required'] = o.required;
  const requests: Record<string, string> = {};
  if (o.gpus !== undefined) requests['nvidia.com/gpu'] = String(o.gpus);
  if (o.cpu !== undefined) requests['cpu'] = o.cpu;
  return {
    metadata: { name, namespace: o.namespace ?? 'team', uid: `uid-${name}`, annotations },
    spec: {
      schedulerName: o.schedulerName ?? SCHEDULER,
      containers: [
        {
          name: 'c',
          resources: { requests, limits: o.gpus !== undefined ? { 'nvidia.com/gpu': String(o.gpus) } : {} },
        },
      ],
      ...(o.node !== undefined ? { nodeName: o.node } : {}),
      ...(o.nodeSelector !== undefined ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.tolerations !== undefined ? { tolerations: o.tolerations } : {}),
      ...(o.gates !== undefined ? { schedulingGates: o.gates.map((g) => ({ name: g })) } : {}),
    },
    status: {
      phase: o.node !== undefined ? 'Running' : 'Pending',
      ...(o.node === undefined && o.unschedulableAt !== undefined
        ? {
            conditions: [
              {
                type: 'PodScheduled',
                status: 'False',
                reason: o.reason ?? 'Unschedulable',
                lastTransitionTime: new Date(o.unschedulableAt).toISOString(),
              },
            ],
          }
        : {}),
    },
  };
}
