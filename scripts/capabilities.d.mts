// Types for scripts/capabilities.mjs (imported by the vitest reporter and the README check).
export declare const ROOT: string
export declare const JSON_FILE: string
export declare const README_FILE: string
export declare const START: string
export declare const END: string
export declare const RUNTIMES: { id: string; label: string; doc: string }[]
export declare const CELLS: { id: string; label: string }[]
export interface CapTest { name: string; state: string; unsupported?: boolean; doc?: string }
export interface CapCell { status: 'works' | 'unsupported' | 'failing' | 'untested'; tests: CapTest[]; doc?: string }
export interface Capabilities { runtimes: string[]; cells: string[]; results: Record<string, Record<string, CapCell>> }
export declare function parseTags(title: string): { runtime: string; cell: string; unsupported: boolean; doc?: string }[]
export declare function buildCapabilities(tests: { name: string; state: string }[]): Capabilities
export declare function renderTable(caps: Capabilities): string
export declare function replaceSection(readme: string, table: string): string
export declare function readCapabilities(root?: string): Capabilities
