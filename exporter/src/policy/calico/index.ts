/** Calico's policy objects (`projectcalico.org/v3`): Tier, (Global/Staged)NetworkPolicy, NetworkSets. */
export * from './model';
