// Line charts over time as inline SVG: total, used and offered of one
// resource, from the model's samples.
'use strict';

const Chart = {
  colors: { total: '#9aa7b4', used: '#1f6fb2', offered: '#e09b2d' },

  render(title, samples, resource, unit) {
    const width = 600, height = 120, pad = 4;
    const values = samples.map(s => s[resource]);
    const max = Math.max(1, ...values.map(v => v.total));
    const path = key => values.map((v, i) => {
      const x = values.length < 2 ? width : pad + (width - 2 * pad) * i / (values.length - 1);
      const y = height - pad - (height - 2 * pad) * (v[key] / max);
      return (i ? 'L' : 'M') + x.toFixed(1) + ',' + y.toFixed(1);
    }).join(' ');
    const last = values[values.length - 1] || { total: 0, used: 0, offered: 0 };
    const lines = values.length ? ['total', 'used', 'offered'].map(key =>
      '<path d="' + path(key) + '" fill="none" stroke="' + Chart.colors[key] + '" stroke-width="2"/>').join('') : '';
    const legend = ['total', 'used', 'offered'].map(key =>
      '<span><i class="swatch" style="background:' + Chart.colors[key] + '"></i>' + key + ' ' +
      Format.number(last[key]) + (unit ? ' ' + unit : '') + '</span>').join('');
    return '<div class="chart"><div><b>' + esc(title) + '</b></div>' +
      '<svg viewBox="0 0 ' + width + ' ' + height + '" preserveAspectRatio="none">' + lines + '</svg>' +
      '<div class="legend">' + legend + '</div></div>';
  },
};
