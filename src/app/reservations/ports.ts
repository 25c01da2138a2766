// Ports of the GPU reservation feature: what the leader needs to create and delete reservation
// pods, and what a reservation container needs to report its device. src/kube implements both.

/** A reservation pod to create: the adapter fills in image, runtime class, priority, account. */
export interface ReservationPodRequest {
  readonly name: string;
  readonly node: string;
  readonly index: number;
}

/** Writes reservation pods in the reservations namespace. Fenced on the Lease by the adapter's caller. */
export interface ReservationPodWriter {
  /** Creates the pod bound to `node`; 'exists' when a pod of that name is there already. Throws otherwise. */
  create(request: ReservationPodRequest): Promise<'created' | 'exists'>;
  /** Deletes the pod of that UID (a recreated pod of the same name is left alone); gone is success. */
  delete(name: string, uid: string): Promise<void>;
}

/** Writes annotations onto the reservation container's own pod (merge patch). Throws on failure. */
export interface OwnPodAnnotator {
  annotate(namespace: string, name: string, annotations: Readonly<Record<string, string>>): Promise<void>;
}
