/** A termination request's states (SPEC §3.3): open until CSN completes it or the user is reactivated. */
export const TERMINATION_STATUSES = ['open', 'cancelled', 'completed'] as const;
export type TerminationStatus = (typeof TERMINATION_STATUSES)[number];
