/** Scenarios beyond page loads (export, import, envelopes): each returns its figures. */
export interface Figure {
  name: string;
  url: string;
  p50?: number;
  p99?: number;
  rps?: number;
  errors?: number;
  floorP50?: number;
  floorP99?: number;
  ratio?: number;
  statements?: number;
  [key: string]: unknown;
}

export interface Context {
  base: string;
  cookie: string;
  csrf: string;
  url: string;
  serverPid: number;
  log: (s: string) => void;
}

export type Scenario = (ctx: Context) => Promise<Figure[] | null>;

export const extraScenarios: Scenario[] = [];
