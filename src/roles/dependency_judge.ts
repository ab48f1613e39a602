import { z } from 'zod';
import { checkJudged, offlineJudge, Relation, type Edge } from '../core/graph';
import { fnAsDef, JudgeTask } from './common';
import { defineRole, unless } from './spec';

/** Edges from a function to its candidates, judged in one request per function (batched). */
export const dependencyJudge = defineRole({
  name: 'dependency_judge',
  // v2: asks for state preconditions explicitly, with an example of each relation, and for the evidence
  // v3: a field of array elements or of an object is named by its path (books[].book_id)
  version: 3,
  system: `You judge dependencies between functions (tools). Given a function F and candidate functions, decide for each candidate U whether a real task would call F and then U because:
(a) "precondition": F establishes a state U needs, though no value passes. Look for it explicitly: logging in, authenticating, connecting or opening a session before any action of that service; changing directory before working on files there; creating something U says "must exist"; pressing, unlocking, starting or selecting what U's description requires ("must be", "requires", "fails if", "only after"); F checking the condition U depends on. Example: login(username, password) -> post_message(text) "Post for the logged-in user": precondition.
(b) "input": F's output fills all of U's required parameters that the user would not give. Example: find_file(name) -> {path} then read_file(path): input, feeds [{"param": "path", "field": "path"}].
(c) "partial_input": F's output fills some of U's parameters. Example: get_price(symbol) -> {price} then place_order(symbol, price, quantity): partial_input, feeds [{"param": "price", "field": "price"}].
Match values by what they are, not by the last word of a name: an id feeds an id of the same kind of thing (post_id <- the id field of the post F returns), never a text or a count; a string is not a number; "climate_mode" is not any "mode". Feed only fields that exist in F's output and parameters that exist in U.
A field inside F's output is named by its path: "owner.id" for a field of an object, "books[].book_id" for a field of the elements of an array (the first element that has it), "[].id" when the output itself is an array. Example: list_books() -> {books: [{book_id, title}]} then get_book(book_id): input, feeds [{"param": "book_id", "field": "books[].book_id"}].
Answer with JSON: {"edges": [{"to": "<candidate name>", "relation": "precondition"|"input"|"partial_input", "feeds": [{"param": "<U parameter>", "field": "<F output field>"}], "reason": "<the evidence, short>"}]}. Leave out candidates with no dependency.`,
  input: JudgeTask,
  output: z.object({
    edges: z.array(
      z.object({
        to: z.string(),
        relation: Relation,
        feeds: z.array(z.object({ param: z.string(), field: z.string() })).default([]),
        reason: z.string().optional(),
      }),
    ),
  }),
  accept: (answer, input) => {
    const edges: Edge[] = answer.edges.map((e) => ({ from: input.function.name, ...e }));
    const bad = checkJudged(fnAsDef(input.function), input.candidates.map(fnAsDef), edges).rejected[0];
    return unless(bad && `edge to ${bad.edge.to} rejected: ${bad.reason}`, edges);
  },
  offline: (input) => offlineJudge(fnAsDef(input.function), input.candidates.map(fnAsDef)),
});
