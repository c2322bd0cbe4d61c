// The settings form: one control per setting, each with a slot for its own error message.
import {
  LEARNED_DEFAULTS,
  SAMPLER_DEFAULTS,
  SAMPLER_TABLE,
} from '../../src/annealing/samplerTable.js';
import {
  PAGE_BACKENDS,
  PAGE_RESAMPLING,
  PAGE_SAMPLERS,
  PAGE_SCHEDULES,
  PAGE_TARGETS,
  formValue,
  librarySampler,
  pageSamplerTakes,
  type PageSampler,
  type Settings,
  type SettingsError,
} from './settings.js';
import { TARGET_VIEWS } from './targets.js';

type FormField = keyof Omit<Settings, 'autorun' | 'autotrain'>;

interface Control {
  name: FormField;
  label: string;
  options?: readonly string[];
  optionLabel?: (v: string) => string;
  /** A longer description of a choice (its tooltip). */
  optionTitle?: (v: string) => string;
  hint: string;
  /** Samplers that use this setting (all when absent). */
  for?: readonly string[];
}

/** A sampler's menu entry: its name in the library's table (smc-ula for SMC), or the flow. */
function samplerLabel(v: string): string {
  const name = librarySampler(v as PageSampler);
  if (name === null) return v === 'fab' ? 'Flow (FAB)' : 'Flow (RealNVP)';
  return name.toUpperCase();
}

function samplerTitle(v: string): string {
  const name = librarySampler(v as PageSampler);
  if (name === null)
    return v === 'fab'
      ? 'a RealNVP normalizing flow trained by FAB: AIS from the flow towards p^2/q and a replay buffer'
      : 'a RealNVP normalizing flow trained on the reverse KL';
  return SAMPLER_TABLE[name].summary;
}

const CONTROLS: Control[] = [
  {
    name: 'target',
    label: 'Target',
    options: PAGE_TARGETS,
    optionLabel: (v) => TARGET_VIEWS[v as keyof typeof TARGET_VIEWS].label,
    hint: 'the 2-d density to sample',
  },
  {
    name: 'sampler',
    label: 'Sampler',
    options: PAGE_SAMPLERS,
    optionLabel: samplerLabel,
    optionTitle: samplerTitle,
    hint: 'annealed sampler or flow',
  },
  { name: 'steps', label: 'Steps', hint: 'annealing steps K (1-512)', for: annealed() },
  { name: 'particles', label: 'Particles', hint: '2-5000' },
  {
    name: 'stepSize',
    label: 'Step size',
    hint: "'auto' or ULA / MALA delta / leapfrog epsilon",
    for: taking('stepSize'),
  },
  {
    name: 'leapfrog',
    label: 'Leapfrog steps',
    hint: `'auto' (${SAMPLER_DEFAULTS['ais-hmc'].leapfrogSteps} for HMC, ${LEARNED_DEFAULTS.leapfrogSteps} for UHA) or 1-20 per transition`,
    for: taking('leapfrogSteps'),
  },
  {
    name: 'schedule',
    label: 'Schedule',
    options: PAGE_SCHEDULES,
    hint: 'initial temperatures',
    for: annealed(),
  },
  {
    name: 'resampling',
    label: 'Resampling',
    options: PAGE_RESAMPLING,
    hint: 'SMC scheme',
    for: smc(),
  },
  { name: 'ess', label: 'ESS threshold', hint: 'resample below this fraction', for: smc() },
  { name: 'layers', label: 'Flow layers', hint: 'coupling layers (1-12)', for: ['flow', 'fab'] },
  {
    name: 'initScale',
    label: 'Initial scale',
    hint: "'auto' or std of N(0, s^2 I)",
    for: annealed(),
  },
  { name: 'seed', label: 'Seed', hint: 'random stream' },
  { name: 'iters', label: 'Train iterations', hint: 'per press of Train' },
  { name: 'batch', label: 'Train particles', hint: 'per iteration' },
  { name: 'lr', label: 'Learning rate', hint: 'Adam' },
  {
    name: 'backend',
    label: 'Backend',
    options: PAGE_BACKENDS,
    hint: 'auto: WebGL, then wasm, then cpu',
  },
];

/** The annealed samplers (all but the flow). */
function annealed(): string[] {
  return PAGE_SAMPLERS.filter((s) => librarySampler(s) !== null);
}

/** The samplers an option of the library's sampler table applies to. */
function taking(option: 'stepSize' | 'leapfrogSteps'): string[] {
  return PAGE_SAMPLERS.filter((s) => pageSamplerTakes(s, option));
}

/** The samplers that resample inside the chain (the table's SMC family). */
function smc(): string[] {
  return PAGE_SAMPLERS.filter((s) => {
    const name = librarySampler(s);
    return name !== null && SAMPLER_TABLE[name].family === 'smc';
  });
}

export class SettingsForm {
  private readonly inputs = new Map<FormField, HTMLInputElement | HTMLSelectElement>();
  private readonly messages = new Map<FormField, HTMLElement>();
  private readonly rows = new Map<FormField, HTMLElement>();

  constructor(private readonly host: HTMLElement) {
    for (const c of CONTROLS) {
      const row = document.createElement('div');
      row.className = 'field';
      const id = `setting-${c.name}`;
      const label = document.createElement('label');
      label.htmlFor = id;
      label.textContent = c.label;
      let input: HTMLInputElement | HTMLSelectElement;
      if (c.options) {
        const select = document.createElement('select');
        for (const v of c.options) {
          const opt = document.createElement('option');
          opt.value = v;
          opt.textContent = c.optionLabel ? c.optionLabel(v) : v;
          if (c.optionTitle) opt.title = c.optionTitle(v);
          select.append(opt);
        }
        input = select;
      } else {
        const text = document.createElement('input');
        text.type = 'text';
        text.inputMode = 'decimal';
        text.autocomplete = 'off';
        input = text;
      }
      input.id = id;
      input.name = c.name;
      input.title = c.hint;
      const message = document.createElement('span');
      message.className = 'field-error';
      message.id = `error-${c.name}`;
      message.setAttribute('aria-live', 'polite');
      input.setAttribute('aria-describedby', message.id);
      row.append(label, input, message);
      host.append(row);
      this.inputs.set(c.name, input);
      this.messages.set(c.name, message);
      this.rows.set(c.name, row);
    }
  }

  /** Shows settings, with the raw text of the fields that were rejected (so they can be fixed). */
  show(settings: Settings, raw: Map<string, string>, errors: SettingsError[]): void {
    const bad = new Set(errors.map((e) => e.field));
    for (const [name, input] of this.inputs) {
      const shown =
        bad.has(name) && raw.has(name) ? (raw.get(name) as string) : formValue(settings, name);
      if (
        input instanceof HTMLSelectElement &&
        ![...input.options].some((o) => o.value === shown)
      ) {
        // A select cannot show an invalid choice: keep the default and let the message say why.
        input.value = formValue(settings, name);
      } else input.value = shown;
    }
    this.showErrors(errors);
    this.showRelevant(settings.sampler);
  }

  showErrors(errors: SettingsError[]): void {
    for (const [name, el] of this.messages) {
      const mine = errors.filter((e) => e.field === name);
      el.textContent = mine.map((e) => e.message).join('; ');
      this.inputs.get(name)?.setAttribute('aria-invalid', mine.length ? 'true' : 'false');
    }
  }

  /** Dims the controls the chosen sampler does not use. */
  showRelevant(sampler: string): void {
    for (const c of CONTROLS) {
      const used = !c.for || c.for.includes(sampler);
      this.rows.get(c.name)?.classList.toggle('unused', !used);
    }
  }

  /** The form's values as raw strings, in the URL's vocabulary. */
  values(): [string, string][] {
    return [...this.inputs].map(([name, input]) => [name, input.value]);
  }

  onChange(handler: () => void): void {
    this.host.addEventListener('change', handler);
  }
}
