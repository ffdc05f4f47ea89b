/**
 * From selected pods to capture targets on this node: each pod's host interface by the route to its IP. Pods whose
 * route leaves the node (through a gateway) are elsewhere: skipped, with the reason, as are pods whose route this
 * CNI does not support.
 */
import { InterfaceResolutionError, resolvePodInterface, runIp, type IpCommand } from './interface';
import type { SelectedPod } from './pods';
import type { CaptureTarget } from './runner';

export async function localTargets(
  pods: readonly SelectedPod[],
  ip: IpCommand = runIp,
): Promise<{ targets: CaptureTarget[]; skipped: string[] }> {
  const targets: CaptureTarget[] = [];
  const skipped: string[] = [];
  for (const pod of pods) {
    try {
      const iface = await resolvePodInterface(pod.address, ip);
      targets.push({ pod: `${pod.namespace}/${pod.name}`, fileStem: pod.name, address: pod.address, iface });
    } catch (error) {
      if (!(error instanceof InterfaceResolutionError)) throw error;
      skipped.push(`${pod.namespace}/${pod.name} (${pod.address}): ${error.message}`);
    }
  }
  return { targets, skipped };
}
