import cvssModule from 'ae-cvss-calculator';
import type { Severity } from '../../contract/input-v1.ts';
import type { OsvAffected, OsvRecord, OsvSeverity } from './osv-types.ts';

const { Cvss3P0, Cvss3P1, Cvss4P0 } = cvssModule;

export interface CvssScore {
  type: string;
  vector: string;
  score: number | null;
}

/** CVSS base score → grype's severity spelling (CVSS v3/v4 qualitative scale; 0.0 "None" → Negligible). */
export function severityFromScore(score: number): Severity {
  if (score >= 9) return 'Critical';
  if (score >= 7) return 'High';
  if (score >= 4) return 'Medium';
  if (score > 0) return 'Low';
  return 'Negligible';
}

/** The base score of a CVSS v3.0/v3.1/v4.0 vector, or null when it cannot be computed. */
export function cvssBaseScore(vector: string): number | null {
  try {
    let result: { base?: number | undefined } | undefined;
    if (vector.startsWith('CVSS:3.1/')) result = new Cvss3P1(vector).calculateScores();
    else if (vector.startsWith('CVSS:3.0/')) result = new Cvss3P0(vector).calculateScores();
    else if (vector.startsWith('CVSS:4.0/')) result = new Cvss4P0(vector).calculateScores();
    const base = result?.base;
    return typeof base === 'number' && Number.isFinite(base) ? base : null;
  } catch {
    return null;
  }
}

/** Spellings found in database_specific / ecosystem_specific severity fields (GHSA, PyPA, Go, …). */
export function normalizeSeverityWord(word: unknown): Severity | null {
  if (typeof word !== 'string') return null;
  switch (word.trim().toLowerCase()) {
    case 'critical':
      return 'Critical';
    case 'high':
    case 'important':
      return 'High';
    case 'medium':
    case 'moderate':
      return 'Medium';
    case 'low':
      return 'Low';
    case 'negligible':
    case 'none':
    case 'info':
    case 'informational':
      return 'Negligible';
    case 'unknown':
      return 'Unknown';
    default:
      return null;
  }
}

const TYPE_RANK: Readonly<Record<string, number>> = { CVSS_V4: 3, CVSS_V3: 2 };

export interface SeverityFacts {
  severity: Severity;
  cvss: CvssScore[];
}

/**
 * The severity of a record for one affected package: CVSS v4 if present, else
 * CVSS v3.x (the highest score of the preferred type), else a severity word from
 * database_specific / ecosystem_specific, else Unknown.
 */
export function severityOf(record: OsvRecord, affected: OsvAffected | undefined): SeverityFacts {
  const entries: OsvSeverity[] = [...(affected?.severity ?? []), ...(record.severity ?? [])];
  const cvss: CvssScore[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.score)) continue;
    seen.add(e.score);
    cvss.push({ type: e.type, vector: e.score, score: TYPE_RANK[e.type] === undefined ? null : cvssBaseScore(e.score) });
  }
  let best: CvssScore | undefined;
  for (const c of cvss) {
    if (c.score === null) continue;
    const rank = TYPE_RANK[c.type] ?? 0;
    const bestRank = best === undefined ? -1 : (TYPE_RANK[best.type] ?? 0);
    if (best === undefined || rank > bestRank || (rank === bestRank && c.score > (best.score ?? -1))) best = c;
  }
  if (best !== undefined && best.score !== null) return { severity: severityFromScore(best.score), cvss };
  const word =
    normalizeSeverityWord(affected?.database_specific?.['severity']) ??
    normalizeSeverityWord(affected?.ecosystem_specific?.['severity']) ??
    normalizeSeverityWord(record.database_specific?.['severity']);
  return { severity: word ?? 'Unknown', cvss };
}
