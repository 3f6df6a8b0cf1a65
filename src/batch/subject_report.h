// SPDX-License-Identifier: Apache-2.0
// File: subject_report.h
//
// `nordpii find-subject`: the answer to an access or erasure request, one
// row per ticket / message / file that mentions the person — where (input,
// ticket or message id), when (its date), what (subject, masked), in which
// fields and how often — with the keyed hashes of the values found, so the
// erasure can be checked later with `--hash` instead of the number.
// Printed as text (tab-separated, a header row), JSONL or JSON; with
// --report DIR also written as subject.csv, subject.json and subject.html
// (self-contained). Never a raw value: every text that came from an input
// is a ShownText (the masking gate, shown_text.h).
#ifndef NORDPII_BATCH_SUBJECT_REPORT_H_
#define NORDPII_BATCH_SUBJECT_REPORT_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "output/shown_text.h"

namespace nordpii {

struct SubjectDoc {
  ShownText path;               // input (archive members as "x.tar.gz!/member")
  ShownText id;                 // ticket id, Message-ID, or "#N" (record / message number)
  ShownText date;               // tickets: closed, else updated, else created; mail: see date_source
  std::string date_source;      // program text: closed, updated, created, date, received, mtime
  ShownText subject;            // "" = none
  std::vector<ShownText> fields;  // where in the document (field or header names, "line N")
  size_t findings = 0;
  std::map<std::string, size_t> types;  // type id -> findings
  std::set<std::string> hashes;         // keyed hashes of the values found
};

struct SubjectRun {
  std::string run_date;                // UTC "YYYY-MM-DD HH:MM:SS"
  std::string key_id;                  // as batch reports (KeyId)
  bool random_key = false;
  std::vector<std::string> searched;   // keyed hashes searched for
  size_t inputs = 0, errors = 0;
};

// One document as a text row (tab-separated, no line break) and the header.
std::string SubjectTextHeader();
std::string SubjectTextRow(const SubjectDoc& d);
// One document as a JSON object.
std::string SubjectJson(const SubjectDoc& d);
// The whole answer as one JSON document (the --format json output and subject.json).
std::string SubjectJsonDocument(const std::vector<SubjectDoc>& docs, const SubjectRun& run);

// Writes DIR/subject.csv, DIR/subject.json and DIR/subject.html.
Status WriteSubjectReport(const std::string& dir, const std::vector<SubjectDoc>& docs, const SubjectRun& run);

}  // namespace nordpii

#endif  // NORDPII_BATCH_SUBJECT_REPORT_H_
