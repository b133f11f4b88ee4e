/** The root command under `openclaw packages`; the manifest's cliCommands row is generated from it. */
export const CLI_DESCRIPTOR = {
  name: "packages",
  description: "Python packages for agent skills: check, install, whitelist, audit",
  hasSubcommands: true,
} as const;
