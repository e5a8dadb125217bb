// The text between the brackets of a PATCH valuePath (RFC 7644 §3.5.2 `valuePath = attrPath "["
// valFilter "]"`, valFilter as in §3.4.2.2 figure 1) → a filter tree of the shape scim2-parse-filter
// produces. Our own scanner, one pass over the text: the library's tokenizer backtracks
// exponentially on an unterminated string with line breaks (20 s for 40 characters) and reads
// backslash escapes wrongly, and at ~3 µs a comparison it cannot parse the 1,000 path filters one
// PATCH may hold (SPEC §5.4) within a request's few tens of milliseconds. Collection filters
// (src/scim/filter.ts) keep the library behind their own guard: there is one filter per request.
import type { Compare, Filter } from 'scim2-parse-filter';
import { badRequest } from '../scim-error.ts';
import { MAX_FILTER_DEPTH } from '../filter.ts';

type CompareOp = Compare['op'];
const COMPARE_OPS = new Set<string>(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'lt', 'ge', 'le']);

const WORD = /[A-Za-z$][\w$.:-]*/y;
// RFC 7159 §6 number, as the ABNF's compValue allows.
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y;

type Token = { kind: 'word'; text: string } | { kind: 'string'; value: string } | { kind: 'number'; value: number } | { kind: '(' | ')' | '[' | 'end' };

/** Parses a valFilter; throws 400 invalidFilter with the reason and where it was found. */
export function parseValueFilter(text: string): Filter {
  return new Parser(text).filter();
}

class Parser {
  private position = 0;
  private token: Token;
  private depth = 0;

  constructor(private readonly text: string) {
    this.token = this.scan();
  }

  filter(): Filter {
    if (this.token.kind === 'end') throw this.error('the filter is empty');
    const result = this.or();
    const rest = this.current();
    if (rest.kind !== 'end') throw this.error(`unexpected ${this.describe(rest)}`);
    return result;
  }

  // Precedence, loosest first: or, and, not (RFC 7644 §3.4.2.2 table 4).
  private or(): Filter {
    return this.joined('or', () => this.and());
  }

  private and(): Filter {
    return this.joined('and', () => this.unary());
  }

  /** Operands joined by one logical operator, as one node with all of them (`a or b or c`). */
  private joined(op: 'and' | 'or', operand: () => Filter): Filter {
    const first = operand();
    if (!this.isKeyword(op)) return first;
    const filters = [first];
    while (this.isKeyword(op)) {
      this.advance();
      filters.push(operand());
    }
    return { op, filters };
  }

  private unary(): Filter {
    if (this.isKeyword('not')) {
      this.advance();
      return this.nested(() => ({ op: 'not', filter: this.token.kind === '(' ? this.group() : this.unary() }));
    }
    if (this.token.kind === '(') return this.nested(() => this.group());
    return this.attributeExpression();
  }

  private group(): Filter {
    this.advance();
    const inner = this.or();
    this.expect(')');
    return inner;
  }

  /**
   * Nesting is bounded while parsing, so a deep filter costs no deep recursion. Levels are counted
   * as for collection filters: the path's own brackets are one, each `(` or `not` another.
   */
  private nested(parse: () => Filter): Filter {
    if (++this.depth + 1 > MAX_FILTER_DEPTH) throw badRequest(`The filter in a path nests deeper than ${MAX_FILTER_DEPTH} levels`, 'invalidFilter');
    const result = parse();
    this.depth--;
    return result;
  }

  // attrExp = (attrPath SP "pr") / (attrPath SP compareOp SP compValue)
  private attributeExpression(): Filter {
    const attribute = this.token;
    if (attribute.kind !== 'word') throw this.error(`expected an attribute name, found ${this.describe(attribute)}`);
    this.advance();
    const operator = this.token;
    if (operator.kind === '[') throw this.error('a value filter cannot contain another value filter');
    if (operator.kind !== 'word') throw this.error(`expected an operator after '${attribute.text}', found ${this.describe(operator)}`);
    const op = operator.text.toLowerCase();
    this.advance();
    if (op === 'pr') return { op: 'pr', attrPath: attribute.text };
    if (!COMPARE_OPS.has(op)) throw this.error(`'${operator.text}' is not an operator`);
    return { op: op as CompareOp, attrPath: attribute.text, compValue: this.comparisonValue(attribute.text, op) };
  }

  // compValue = false / null / true / number / string (ABNF literals are case-insensitive, RFC 5234 §2.3)
  private comparisonValue(attribute: string, op: string): Compare['compValue'] {
    const token = this.token;
    this.advance();
    if (token.kind === 'string' || token.kind === 'number') return token.value;
    if (token.kind === 'word') {
      const literal = token.text.toLowerCase();
      if (literal === 'true') return true;
      if (literal === 'false') return false;
      if (literal === 'null') return null;
    }
    throw this.error(`'${attribute} ${op}' needs a value (a quoted string, a number, true, false or null), found ${this.describe(token)}`);
  }

  private isKeyword(word: string): boolean {
    return this.token.kind === 'word' && this.token.text.length === word.length && this.token.text.toLowerCase() === word;
  }

  private expect(kind: ')'): void {
    if (this.token.kind !== kind) throw this.error(`expected '${kind}', found ${this.describe(this.token)}`);
    this.advance();
  }

  // A method, so that the compiler does not keep a narrowing of `token` across advance().
  private current(): Token {
    return this.token;
  }

  private advance(): void {
    this.token = this.scan();
  }

  private scan(): Token {
    const text = this.text;
    let i = this.position;
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
    if (i === text.length) {
      this.position = i;
      return { kind: 'end' };
    }
    const c = text[i];
    if (c === '(' || c === ')' || c === '[') {
      this.position = i + 1;
      return { kind: c };
    }
    if (c === '"') return this.stringLiteral(i);
    NUMBER.lastIndex = i;
    const number = NUMBER.exec(text);
    if (number) {
      this.position = NUMBER.lastIndex;
      return { kind: 'number', value: Number(number[0]) };
    }
    WORD.lastIndex = i;
    const word = WORD.exec(text);
    if (word) {
      this.position = WORD.lastIndex;
      return { kind: 'word', text: word[0] };
    }
    this.position = i;
    throw this.error(`unexpected character '${c}'`);
  }

  // RFC 7644 §3.4.2.2: string literals are JSON strings (RFC 7159 §7), decoded by JSON's rules.
  private stringLiteral(start: number): Token {
    const text = this.text;
    for (let i = start + 1; i < text.length; i++) {
      if (text[i] === '\\') i++;
      else if (text[i] === '"') {
        this.position = i + 1;
        try {
          return { kind: 'string', value: JSON.parse(text.slice(start, i + 1)) as string };
        } catch {
          this.position = start;
          throw this.error('the string is not a valid JSON string (control characters must be escaped)');
        }
      }
    }
    this.position = start;
    throw this.error('the string has no closing quote');
  }

  private describe(token: Token): string {
    switch (token.kind) {
      case 'word':
        return `'${token.text}'`;
      case 'string':
        return JSON.stringify(token.value);
      case 'number':
        return String(token.value);
      case 'end':
        return 'the end of the filter';
      default:
        return `'${token.kind}'`;
    }
  }

  private error(reason: string) {
    // RFC 7644 §3.12 lists invalidFilter for "PATCH (Path Filter - Section 3.5.2)".
    return badRequest(`Invalid filter in path at position ${this.position + 1}: ${reason}`, 'invalidFilter');
  }
}
