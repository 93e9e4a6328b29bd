export { BLOCK_REASONS, BlockFileError, MAX_BLOCKS_FILE_BYTES, activeBlocks, parseBlocks, serializeBlocks, type BlockEntry, type BlockReason } from './blocks.js';
export { CidrError, LOOPBACK, addressBytes, cidrContains, parseCidr, type Cidr } from './cidr.js';
export { ProtectionGuard, authOutcome, type AuthOutcome, type AuthWatch, type DropReason, type ProtectionCounters } from './guard.js';
export { DEFAULT_PROTECTION, MAX_TRACKED_SOURCES, ProtectionPolicy, type ProtectionSettings, type RateLevel } from './policy.js';
export { SCANNER_AGENTS, scannerAgent } from './scanner.js';
