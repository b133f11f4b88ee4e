import { join } from "node:path";
import * as owners from "../util/lock-owner.js";

// The skill lock's holder record lives in the skill's data directory (util/lock-owner.ts does the work).
const ownerFile = (target: string): string => join(target, "lock-owner.json");

export const recordOwner = (target: string, lockDir: string): Promise<void> =>
  owners.recordOwner(ownerFile(target), lockDir);

export const forgetOwner = (target: string): Promise<void> => owners.forgetOwner(ownerFile(target));

export const breakIfOwnerGone = (target: string, lockDir: string): Promise<boolean> =>
  owners.breakIfOwnerGone(ownerFile(target), lockDir);
