/** The unified, tiered policy engine: Calico tiers, Kubernetes NetworkPolicy, ANP and BANP in one evaluation. */
export * from './engine';
