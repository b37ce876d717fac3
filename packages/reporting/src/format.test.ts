import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scopeIds } from './charts.js';
import { compareParam, escapeHtml, escapeMd, fmtMeanSd, fmtNum, fmtParam, fmtPct, mdCode } from './format.js';

describe('escaping', () => {
  it('escapeHtml escapes the five HTML-significant characters', () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&amp;</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
    assert.equal(escapeHtml(null), 'null');
  });
  it('escapeMd keeps Markdown text inert and on one line', () => {
    assert.equal(escapeMd('<b>x</b> & y'), '&lt;b&gt;x&lt;/b&gt; &amp; y');
    assert.equal(escapeMd('a | b'), 'a \\| b');
    assert.equal(escapeMd('*bold* _it_ [link](u) `c`'), '\\*bold\\* \\_it\\_ \\[link\\](u) \\`c\\`');
    assert.equal(escapeMd('# title\n- item'), '\\# title - item');
    assert.equal(escapeMd('1. first'), '1\\. first');
  });
  it('mdCode fences around backticks and escapes pipes in tables', () => {
    assert.equal(mdCode('a`b'), '``a`b``');
    assert.equal(mdCode('`x`'), '`` `x` ``');
    assert.equal(mdCode('a|b', true), '`a\\|b`');
    assert.equal(mdCode('<script>'), '`<script>`');
  });
});

describe('number formatting (stable across platforms)', () => {
  it('fmtNum: 4 significant digits, exponent form for tiny and huge values, labels for non-finite', () => {
    assert.equal(fmtNum(3.249245), '3.249');
    assert.equal(fmtNum(6.99), '6.99');
    assert.equal(fmtNum(0.000059362), '5.94e-5');
    assert.equal(fmtNum(12345678), '1.23e+7');
    assert.equal(fmtNum(0), '0');
    assert.equal(fmtNum(NaN), 'NaN');
    assert.equal(fmtNum(-Infinity), '-Inf');
    assert.equal(fmtNum(null), '–');
  });
  it('fmtPct and mean ± sample sd', () => {
    assert.equal(fmtPct(0.97123), '97.12 %');
    assert.equal(fmtPct(undefined), '–');
    // 0.9, 0.92: mean 0.91, sd = |0.02|/√2 = 0.01414
    assert.equal(fmtMeanSd([0.9, 0.92], true), '91.00 ± 1.41 %');
    assert.equal(fmtMeanSd([0.9], true), '90.00 %');
    assert.equal(fmtMeanSd([NaN], true), '–');
  });
  it('parameter values: compact text and a numeric order', () => {
    assert.equal(fmtParam([784, 5, 5, 10]), '[784,5,5,10]');
    assert.equal(fmtParam({ uniform: [0, 0.01] }), '{"uniform":[0,0.01]}');
    assert.deepEqual([[784, 256, 10], [784, 5, 10], [784, 30, 10]].sort(compareParam), [[784, 5, 10], [784, 30, 10], [784, 256, 10]]);
    assert.deepEqual([10, 2, 0.5, 'full', 128].sort(compareParam), [0.5, 2, 10, 128, 'full']);
  });
});

describe('scopeIds', () => {
  it('renames ids and their references so several SVGs can share a page', () => {
    const svg = '<svg><defs><clipPath id="clip7"><rect/></clipPath><linearGradient id="gradient_3"/></defs><g clip-path="url(#clip7)"><rect fill="url(#gradient_3)"/><use href="#clip7"/></g></svg>';
    assert.equal(scopeIds(svg, 'c-a'), '<svg><defs><clipPath id="c-a-1"><rect/></clipPath><linearGradient id="c-a-2"/></defs><g clip-path="url(#c-a-1)"><rect fill="url(#c-a-2)"/><use href="#c-a-1"/></g></svg>');
    assert.equal(scopeIds('<svg/>', 'x'), '<svg/>');
  });
});
