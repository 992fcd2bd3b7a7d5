// The KEDA releases kedactl renders for and installs. One place names them: the default chart version
// (the newest release the chart repository and the KEDA Go module both serve) and the supported minors
// (the newest and the one before), whose CRDs the test rig checks every rendered object against.

/** the KEDA helm chart (and operator) version `kedactl init` installs unless told otherwise */
export const DEFAULT_KEDA_VERSION = '2.21.0';

/** minors whose CRDs accept everything kedactl renders, newest last */
export const SUPPORTED_KEDA_MINORS = ['2.20', '2.21'] as const;

export const SUPPORTED_KEDA_RANGE = `${SUPPORTED_KEDA_MINORS[0]}.x to ${SUPPORTED_KEDA_MINORS[SUPPORTED_KEDA_MINORS.length - 1]}.x`;

const VERSION = /^v?(\d+)\.(\d+)\.(\d+)$/;

/** "2.21.0" -> "2.21", or undefined when it is not a plain release version */
export function kedaMinor(version: string): string | undefined {
  const m = VERSION.exec(version.trim());
  return m ? `${Number(m[1])}.${Number(m[2])}` : undefined;
}

export function isSupportedKedaVersion(version: string): boolean {
  const minor = kedaMinor(version);
  return minor !== undefined && (SUPPORTED_KEDA_MINORS as readonly string[]).includes(minor);
}

/** the rule a --keda-version must follow, or undefined when it does */
export function kedaVersionProblem(version: string): string | undefined {
  if (!VERSION.test(version)) return `must be a KEDA chart version like ${DEFAULT_KEDA_VERSION} (supported: ${SUPPORTED_KEDA_RANGE})`;
  if (!isSupportedKedaVersion(version))
    return `must be a supported KEDA release (${SUPPORTED_KEDA_RANGE}; default ${DEFAULT_KEDA_VERSION}): kedactl's objects are tested against those releases' CRDs`;
  return undefined;
}
