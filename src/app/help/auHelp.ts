/**
 * What the help panel says about the numbers: the AUs OpenFace 2.2 outputs
 * with their FACS names and the muscles behind them, and the sources those
 * come from. Plain data, so a test can check it against the CSV's columns.
 */

/** A source the help panel cites, by its key in SOURCES. */
export type SourceKey = 'facs1978' | 'facs2002' | 'cohn2007' | 'baltrusaitis2015' | 'openface2018' | 'openfaceWiki';

export interface Source {
  readonly citation: string;
  /** where a reader finds it (a DOI or the project's page); shown as text, never fetched */
  readonly where: string;
}

export const SOURCES: Readonly<Record<SourceKey, Source>> = {
  facs1978: { citation: 'Ekman, P. & Friesen, W. V. (1978). Facial Action Coding System: A Technique for the Measurement of Facial Movement. Consulting Psychologists Press.', where: 'book' },
  facs2002: { citation: 'Ekman, P., Friesen, W. V. & Hager, J. C. (2002). Facial Action Coding System: The Manual. Research Nexus.', where: 'book' },
  cohn2007: {
    citation: 'Cohn, J. F., Ambadar, Z. & Ekman, P. (2007). Observer-based measurement of facial expression with the Facial Action Coding System. In The Handbook of Emotion Elicitation and Assessment, Oxford University Press, 203–221.',
    where: 'book chapter (table of AUs and muscles)',
  },
  baltrusaitis2015: {
    citation: 'Baltrušaitis, T., Mahmoud, M. & Robinson, P. (2015). Cross-dataset learning and person-specific normalisation for automatic Action Unit detection. IEEE FG 2015, Facial Expression Recognition and Analysis Challenge.',
    where: 'doi:10.1109/FG.2015.7284869',
  },
  openface2018: { citation: 'Baltrušaitis, T., Zadeh, A., Lim, Y. C. & Morency, L.-P. (2018). OpenFace 2.0: Facial Behavior Analysis Toolkit. IEEE FG 2018.', where: 'doi:10.1109/FG.2018.00019' },
  openfaceWiki: { citation: 'OpenFace 2.2 documentation, "Action Units" and "Output Format" pages.', where: 'github.com/TadasBaltrusaitis/OpenFace/wiki' },
};

export interface AuHelp {
  /** e.g. 'AU01' (the CSV writes AU01_r, AU01_c) */
  readonly au: string;
  /** the muscles whose action the AU describes (FACS) */
  readonly muscles: string;
  /** OpenFace 2.2 outputs an intensity (AUxx_r) for it; every AU here also has a presence (AUxx_c) */
  readonly intensity: boolean;
}

/**
 * The 18 AUs OpenFace 2.2 outputs (17 with intensity; AU28 presence only) and
 * their muscles, from FACS (Ekman & Friesen 1978; Cohn et al. 2007). Their
 * FACS names are the results table's (AU_NAMES in ../batch/auSummary.ts).
 */
export const AU_HELP: readonly AuHelp[] = [
  { au: 'AU01', muscles: 'frontalis, pars medialis', intensity: true },
  { au: 'AU02', muscles: 'frontalis, pars lateralis', intensity: true },
  { au: 'AU04', muscles: 'corrugator supercilii, depressor supercilii, procerus', intensity: true },
  { au: 'AU05', muscles: 'levator palpebrae superioris', intensity: true },
  { au: 'AU06', muscles: 'orbicularis oculi, pars orbitalis', intensity: true },
  { au: 'AU07', muscles: 'orbicularis oculi, pars palpebralis', intensity: true },
  { au: 'AU09', muscles: 'levator labii superioris alaeque nasi', intensity: true },
  { au: 'AU10', muscles: 'levator labii superioris', intensity: true },
  { au: 'AU12', muscles: 'zygomaticus major', intensity: true },
  { au: 'AU14', muscles: 'buccinator', intensity: true },
  { au: 'AU15', muscles: 'depressor anguli oris (triangularis)', intensity: true },
  { au: 'AU17', muscles: 'mentalis', intensity: true },
  { au: 'AU20', muscles: 'risorius, with platysma', intensity: true },
  { au: 'AU23', muscles: 'orbicularis oris', intensity: true },
  { au: 'AU25', muscles: 'depressor labii inferioris, or relaxation of mentalis or orbicularis oris', intensity: true },
  { au: 'AU26', muscles: 'masseter relaxed; temporalis and internal pterygoid relaxed', intensity: true },
  { au: 'AU28', muscles: 'orbicularis oris', intensity: false },
  { au: 'AU45', muscles: 'levator palpebrae superioris relaxes; orbicularis oculi, pars palpebralis', intensity: true },
];
