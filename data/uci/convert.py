#!/usr/bin/env python3
"""Rebuilds data/uci/*.csv from the Debian packages named in README.md.

Usage: extract the packages without installing them, then run this script:
    apt-get download r-cran-mlbench weka python3-sklearn
    for f in *.deb; do dpkg-deb -x "$f" root; done
    python3 data/uci/convert.py root data/uci
Standard library only (lzma, struct, csv). No code here is imported by the package.
"""
import csv
import io
import lzma
import os
import re
import struct
import sys

MLBENCH = 'usr/lib/R/site-library/mlbench/data'
WEKA = 'usr/share/doc/weka/examples'
SKLEARN = 'usr/lib/python3/dist-packages/sklearn/datasets/data'


# ---- a minimal reader for R's XDR serialization (enough for mlbench's data frames) ----

class _R:
    def __init__(self, buf):
        self.b, self.p, self.refs = buf, 0, []

    def int(self):
        (x,) = struct.unpack_from('>i', self.b, self.p)
        self.p += 4
        return x

    def item(self):
        flags = self.int()
        t, has_attr, has_tag = flags & 0xFF, flags & (1 << 9), flags & (1 << 10)
        if t == 254:  # NILVALUE
            return None
        if t in (241, 242, 247, 251, 252, 253):  # base/empty/global envs, missing arg, ...
            return ('special', t)
        if t == 255:  # reference to an earlier symbol
            idx = flags >> 8 or self.int()
            return self.refs[idx - 1]
        if t == 1:  # SYMSXP
            sym = ('sym', self.item())
            self.refs.append(sym)
            return sym
        if t in (2, 6, 239, 240):  # pairlists
            attr = self.item() if has_attr else None
            tag = self.item() if has_tag else None
            car, cdr = self.item(), self.item()
            return {'kind': 'pair', 'tag': tag[1] if tag else None, 'car': car, 'cdr': cdr,
                    'attr': pairs(attr)}
        if t == 9:  # CHARSXP
            n = self.int()
            if n == -1:
                return None
            s = self.b[self.p:self.p + n].decode('latin-1')
            self.p += n
            return s
        if t in (10, 13, 14, 16, 19):
            n = self.int()
            if t in (10, 13):
                v = list(struct.unpack_from(f'>{n}i', self.b, self.p))
                self.p += 4 * n
            elif t == 14:
                v = list(struct.unpack_from(f'>{n}d', self.b, self.p))
                self.p += 8 * n
            else:
                v = [self.item() for _ in range(n)]
            attr = pairs(self.item()) if has_attr else {}
            return {'kind': {10: 'lgl', 13: 'int', 14: 'real', 16: 'str', 19: 'list'}[t],
                    'v': v, 'attr': attr}
        raise ValueError(f'unsupported R type {t}')


def pairs(pl):
    out = {}
    while pl is not None:
        out[pl['tag']] = pl['car']
        pl = pl['cdr']
    return out


def read_rda(path):
    raw = lzma.decompress(open(path, 'rb').read())
    assert raw[:7] in (b'RDX2\nX\n', b'RDX3\nX\n'), raw[:7]
    r = _R(raw[5:])
    r.p = 2
    version = r.int()
    r.int(), r.int()
    if version == 3:
        r.p += r.int()  # native encoding name
    return pairs(r.item())


def data_frame(path, name):
    df = read_rda(path)[name]
    return df['attr']['names']['v'], df['v']


# ---- ARFF (numeric and nominal attributes only) ----

def read_arff(path):
    attrs, rows, in_data = [], [], False
    for line in open(path, encoding='latin-1'):
        s = line.strip()
        if not s or s.startswith('%'):
            continue
        if not in_data:
            low = s.lower()
            if low.startswith('@attribute'):
                m = re.match(r"@attribute\s+('[^']*'|\S+)\s+(.*)$", s, re.I)
                typ = m.group(2).strip()
                levels = None
                if typ.startswith('{'):
                    reader = csv.reader(io.StringIO(typ.strip('{}')), quotechar="'",
                                        skipinitialspace=True)
                    levels = [v.strip() for v in next(reader)]
                attrs.append((m.group(1).strip("'"), levels))
            elif low.startswith('@data'):
                in_data = True
        else:
            row = next(csv.reader(io.StringIO(s), quotechar="'", skipinitialspace=True))
            assert len(row) == len(attrs), s
            rows.append([x.strip() for x in row])
    return attrs, rows


def write(out_dir, name, header, rows):
    with open(os.path.join(out_dir, name), 'w', newline='') as f:
        f.write(','.join(header) + '\n')
        for r in rows:
            f.write(','.join(str(x) for x in r) + '\n')
    print(f'{name}: {len(rows)} rows, {len(header)} columns')


def num(x):
    return repr(float(x)) if not float(x).is_integer() else str(int(x))


def main(root, out_dir):
    # Sonar (mlbench): 60 numeric columns V1..V60, Class factor with levels M, R.
    names, cols = data_frame(os.path.join(root, MLBENCH, 'Sonar.rda'), 'Sonar')
    cls = cols[-1]
    assert cls['attr']['levels']['v'] == ['M', 'R']
    rows = [[num(c['v'][i]) for c in cols[:-1]] + [1 if cls['v'][i] == 1 else 0]
            for i in range(len(cls['v']))]
    write(out_dir, 'sonar.csv', names[:-1] + ['label'], rows)

    # Ionosphere (weka ARFF), checked against mlbench's copy; class g -> 1, b -> 0.
    attrs, arows = read_arff(os.path.join(root, WEKA, 'ionosphere.arff'))
    assert attrs[-1] == ('class', ['b', 'g'])
    rows = [r[:-1] + [1 if r[-1] == 'g' else 0] for r in arows]
    mnames, mcols = data_frame(os.path.join(root, MLBENCH, 'Ionosphere.rda'), 'Ionosphere')
    for i, r in enumerate(rows):
        for j in range(34):
            c = mcols[j]
            m = float(c['attr']['levels']['v'][c['v'][i] - 1]) if 'levels' in c['attr'] \
                else c['v'][i]
            assert abs(float(r[j]) - m) < 1e-12, (i, j, r[j], m)
        good = mcols[-1]['attr']['levels']['v'][mcols[-1]['v'][i] - 1] == 'good'
        assert r[-1] == int(good), i
    write(out_dir, 'ionosphere.csv', [a for a, _ in attrs[:-1]] + ['label'], rows)

    # German credit, numeric (StatLog) version, derived from weka's credit-g.arff (the
    # categorical german.data): ordered categoricals coded by their level index, amount in
    # units of 100 DM rounded half to even, 9 indicator columns; class good -> 0, bad -> 1.
    attrs, arows = read_arff(os.path.join(root, WEKA, 'credit-g.arff'))
    col = {a: i for i, (a, _) in enumerate(attrs)}

    def code(r, a, base):
        return attrs[col[a]][1].index(r[col[a]]) + base

    rows = []
    for r in arows:
        purpose, parties = code(r, 'purpose', 0), code(r, 'other_parties', 0)
        housing, job = code(r, 'housing', 0), code(r, 'job', 0)
        rows.append([
            code(r, 'checking_status', 1), int(r[col['duration']]),
            code(r, 'credit_history', 0), round(int(r[col['credit_amount']]) / 100),
            code(r, 'savings_status', 1), code(r, 'employment', 1),
            code(r, 'personal_status', 1), int(r[col['residence_since']]),
            code(r, 'property_magnitude', 1), int(r[col['age']]),
            code(r, 'other_payment_plans', 1), int(r[col['existing_credits']]),
            int(r[col['num_dependents']]), code(r, 'own_telephone', 1),
            code(r, 'foreign_worker', 1),
            int(purpose == 0), int(purpose == 1), int(parties == 0), int(parties == 1),
            int(housing == 0), int(housing == 1), int(job == 0), int(job == 1), int(job == 2),
            code(r, 'class', 0),
        ])
    header = ['checking_status', 'duration', 'credit_history', 'amount_100dm', 'savings',
              'employment', 'personal_status', 'residence_since', 'property', 'age',
              'other_installment_plans', 'existing_credits', 'people_liable', 'telephone',
              'foreign_worker', 'purpose_new_car', 'purpose_used_car', 'other_debtors_none',
              'other_debtors_coapplicant', 'housing_rent', 'housing_own',
              'job_unskilled_nonresident', 'job_unskilled_resident', 'job_skilled', 'label']
    write(out_dir, 'german-credit.csv', header, rows)

    # Breast cancer Wisconsin (diagnostic), sklearn's csv: target 0 = malignant, 1 = benign;
    # here malignant -> 1, benign -> 0.
    with open(os.path.join(root, SKLEARN, 'breast_cancer.csv')) as f:
        lines = list(csv.reader(f))
    assert lines[0] == ['569', '30', 'malignant', 'benign']
    stats = ['radius', 'texture', 'perimeter', 'area', 'smoothness', 'compactness',
             'concavity', 'concave_points', 'symmetry', 'fractal_dimension']
    header = [f'{g}_{s}' for g in ('mean', 'se', 'worst') for s in stats] + ['label']
    rows = [r[:30] + [1 - int(r[30])] for r in lines[1:]]
    write(out_dir, 'breast-cancer.csv', header, rows)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
