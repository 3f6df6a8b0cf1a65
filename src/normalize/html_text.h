// SPDX-License-Identifier: Apache-2.0
// File: html_text.h
//
// HtmlToText: the visible text of an HTML document or fragment, with an
// OffsetMap back to the HTML bytes, so a number split by tags or written
// with entities (`<b>151086</b>&nbsp;95088`, `&#49;&#53;…`) is found and
// points at the exact HTML bytes to redact.
//
// Parsing uses Gumbo (Debian libgumbo-dev), a complete HTML5 parser written
// in C and fuzzed upstream: real mail HTML is tag soup, and a regex stripper
// gets comments, scripts, CDATA and attribute values wrong. Gumbo gives the
// source position of every text node. Text nodes are emitted in source order
// (the map stays monotone even where HTML5 moves nodes, e.g. foster-parented
// table text); entities are decoded here so that each maps to its own bytes.
// Inline elements add nothing (split numbers join again); block elements and
// <br> add a line break, table cells " | ". Script, style, template and head
// content is not visible: it is not part of the visible text but follows it,
// each piece a separate document (below).
//
// Gumbo's tree construction is quadratic in nesting depth, so a linear
// pre-scan estimates the depth and documents nested deeper than 2 000
// elements take a linear tag-stripping fallback (noted in Decoded::notes).
// Speed: Gumbo builds a tree at about 45 MB/s here, which made HTML parts
// most of the cost of scanning mail. Ordinary documents therefore take a
// linear tokenizer pass (FastEvents in the .cc) that emits the same text
// events in source order; anything where the HTML5 tree builder would move,
// drop or reinterpret content (unknown or special elements, body content
// inside <head>, stray end tags, unterminated markup, ...) goes to Gumbo.
// The mail fuzzer asserts both give the same text wherever the fast path
// accepts a document.
// Pure and thread-safe. The caller bounds the input size (Gumbo builds a
// tree of the whole input).
#ifndef NORDPII_NORMALIZE_HTML_TEXT_H_
#define NORDPII_NORMALIZE_HTML_TEXT_H_

#include <string_view>

#include "normalize/transfer_decode.h"

namespace nordpii {

// Not shown but in the document all the same, and scanned each as a
// document of its own after the visible text (Decoded::separate): the text
// of <script>, <style>, <noframes> (raw: entities are not decoded there)
// and <template>; in <head>, the <title> and the text-bearing attributes
// (<meta content>, <link href>, ...). Those of a script, a style sheet, an
// attribute or a comment only when they hold a number (kAsideDigits).
// `separate` false: the visible text alone (Decoded::separate empty).
Decoded HtmlToText(std::string_view html);
// The same into `out` (cleared first), reusing its buffers.
void HtmlToText(std::string_view html, Decoded& out, bool separate = true);
// Appends the tags ("<...>") found in `span` to `out`: a redaction that
// replaces an HTML range keeps them after its replacement, so a number
// split by tags (`<b>151086</b>95088`) is replaced and the HTML stays
// well-formed.
void AppendTags(std::string_view span, std::string& out);
// Always through Gumbo (the fast path's reference, for tests and the fuzzer).
Decoded HtmlToTextGumbo(std::string_view html, bool separate = true);

}  // namespace nordpii

#endif  // NORDPII_NORMALIZE_HTML_TEXT_H_
