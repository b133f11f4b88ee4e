/** The package URL (purl spec) of an npm package: `pkg:npm/%40scope/name@1.2.3`, or without a version. */
export const npmPurl = (name: string, version?: string): string => {
  const path = name.startsWith("@") ? `%40${name.slice(1)}` : name;
  return `pkg:npm/${path}${version ? `@${encodeURIComponent(version)}` : ""}`;
};
