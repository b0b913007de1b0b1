# SPDX-License-Identifier: LGPL-2.1-or-later
"""csource.py - a small C tokenizer and kernel-doc parser shared by the
source checkers (ownership.py, kerneldoc.py); python3 standard library only.

It does not preprocess: directives become single 'pp' tokens, comments are
kept aside with their line numbers, and everything else becomes identifier,
number, string or punctuator tokens that know their line.
"""

import re

_TOKEN_RE = re.compile(r"""
      (?P<ws>[ \t\f\v\r]+)
    | (?P<nl>\n)
    | (?P<bcomment>/\*.*?\*/)
    | (?P<lcomment>//[^\n]*)
    | (?P<string>"(?:\\.|[^"\\\n])*")
    | (?P<char>'(?:\\.|[^'\\\n])*')
    | (?P<ident>[A-Za-z_]\w*)
    | (?P<number>\.?\d(?:[eEpP][+-]|[\w.])*)
    | (?P<punct>\.\.\.|->|<<=|>>=|\+\+|--|<<|>>|<=|>=|==|!=|&&|\|\||
                [-+*/%&|^]=|\#\#|[][{}();,:.?~!<>=+*/%&|^#-])
    | (?P<other>.)
""", re.VERBOSE | re.DOTALL)


class Token:
    """One token: kind ('ident', 'number', 'string', 'char', 'punct',
    'pp' for a whole preprocessor directive), its text and its line."""
    __slots__ = ('kind', 'text', 'line')

    def __init__(self, kind, text, line):
        self.kind = kind
        self.text = text
        self.line = line

    def __repr__(self):
        return 'Token(%s, %r, %d)' % (self.kind, self.text, self.line)


class Comment:
    """A comment: its text with the delimiters, first and last line."""
    __slots__ = ('text', 'line', 'end_line')

    def __init__(self, text, line, end_line):
        self.text = text
        self.line = line
        self.end_line = end_line


class Source:
    """A tokenized C file: .tokens (no comments), .comments, .path."""

    def __init__(self, path, text=None):
        self.path = path
        if text is None:
            with open(path, encoding='utf-8', errors='replace') as f:
                text = f.read()
        self.tokens = []
        self.comments = []
        self._tokenize(text)

    def _tokenize(self, text):
        line = 1
        at_line_start = True
        pos = 0
        n = len(text)
        while pos < n:
            if at_line_start:
                m = re.match(r'[ \t]*#', text[pos:pos + 200])
                if m:
                    pos, line = self._directive(text, pos, line)
                    continue
            m = _TOKEN_RE.match(text, pos)
            kind = m.lastgroup
            s = m.group()
            pos = m.end()
            if kind == 'nl':
                line += 1
                at_line_start = True
                continue
            if kind == 'ws':
                continue
            if kind in ('bcomment', 'lcomment'):
                end = line + s.count('\n')
                self.comments.append(Comment(s, line, end))
                line = end
                continue
            if kind == 'other' and s == '\\':
                continue    # a line continuation outside a directive
            at_line_start = False
            self.tokens.append(Token(kind, s, line))

    def _directive(self, text, pos, line):
        """One preprocessor directive (with its continuation lines and
        comments) becomes one 'pp' token; returns the new pos and line."""
        start_line = line
        out = []
        n = len(text)
        while pos < n:
            c = text[pos]
            if c == '\\' and text.startswith('\\\n', pos):
                pos += 2
                line += 1
                out.append(' ')
                continue
            if text.startswith('/*', pos):
                end = text.find('*/', pos + 2)
                end = n if end < 0 else end + 2
                s = text[pos:end]
                self.comments.append(Comment(s, line, line + s.count('\n')))
                line += s.count('\n')
                pos = end
                out.append(' ')
                continue
            if text.startswith('//', pos):
                end = text.find('\n', pos)
                end = n if end < 0 else end
                self.comments.append(Comment(text[pos:end], line, line))
                pos = end
                continue
            if c == '\n':
                break
            out.append(c)
            pos += 1
        self.tokens.append(Token('pp', ' '.join(''.join(out).split()),
                                 start_line))
        return pos, line


def match_close(tokens, i):
    """Index of the bracket closing the one at tokens[i]."""
    pairs = {'(': ')', '[': ']', '{': '}'}
    opener = tokens[i].text
    closer = pairs[opener]
    depth = 0
    for j in range(i, len(tokens)):
        t = tokens[j].text
        if tokens[j].kind != 'punct':
            continue
        if t == opener:
            depth += 1
        elif t == closer:
            depth -= 1
            if depth == 0:
                return j
    raise ValueError('%d: unbalanced %s' % (tokens[i].line, opener))


def match_open(tokens, i):
    """Index of the bracket opening the one at tokens[i]."""
    pairs = {')': '(', ']': '[', '}': '{'}
    closer = tokens[i].text
    opener = pairs[closer]
    depth = 0
    for j in range(i, -1, -1):
        t = tokens[j].text
        if tokens[j].kind != 'punct':
            continue
        if t == closer:
            depth += 1
        elif t == opener:
            depth -= 1
            if depth == 0:
                return j
    raise ValueError('%d: unbalanced %s' % (tokens[i].line, closer))


# ---------------------------------------------------------------- kernel-doc

_SECTION_RE = re.compile(r'^(Context|Return|Returns|Note|Notes|Example|'
                         r'Examples|Locking|Description)\s*:\s*(.*)$')
_PARAM_RE = re.compile(r'^@([\w.]+|\.\.\.)\s*:\s*(.*)$')
_HEAD_RE = re.compile(r'^(?:(struct|union|enum|typedef)\s+)?'
                      r'([A-Za-z_]\w*)\s*(?:\(\))?\s*-\s*(.*)$')


class KernelDoc:
    """A parsed /** ... */ block.

    kind: 'function' (also used for macros), 'struct', 'union', 'enum',
    'typedef' or 'doc' (a DOC: block); name and summary from its first
    line; params: {name: description} in order; sections:
    {'Context': text, 'Return': text, ...}; section_lines: where each
    section starts; description: the paragraphs of free text after the
    parameters (joined lines, one string each); lines: the body lines
    without the leading ' * '."""

    def __init__(self, comment):
        self.comment = comment
        self.line = comment.line
        self.end_line = comment.end_line
        self.kind = None
        self.name = None
        self.summary = ''
        self.params = {}
        self.param_lines = {}
        self.sections = {}
        self.section_lines = {}
        self.description = []
        self.private_from = None
        self.lines, self._skip = self._body_lines(comment.text)
        self._parse()

    @staticmethod
    def _body_lines(text):
        """The lines of the block without ' * ', from its first non-empty
        one; and how many lines after the opening line that one is."""
        body = text[3:-2] if text.endswith('*/') else text[3:]
        out = []
        for ln in body.split('\n'):
            ln = ln.strip()
            if ln.startswith('*'):
                ln = ln[1:]
                if ln.startswith(' '):
                    ln = ln[1:]
            out.append(ln.rstrip())
        skip = 0
        while skip < len(out) and not out[skip].strip():
            skip += 1
        return out[skip:], skip

    def _parse(self):
        if not self.lines:
            return
        base = self.comment.line + self._skip   # line of self.lines[0]
        head = self.lines[0].strip()
        if head.startswith('DOC:'):
            self.kind = 'doc'
            self.name = head[4:].strip()
            return
        m = _HEAD_RE.match(head)
        if not m:
            self.kind = 'unknown'
            return
        self.kind = m.group(1) or 'function'
        self.name = m.group(2)
        self.summary = m.group(3).strip()
        current = ('summary', None)    # or ('param'|'section', name)
        for idx, ln in enumerate(self.lines[1:], start=1):
            stripped = ln.strip()
            pm = _PARAM_RE.match(stripped)
            sm = _SECTION_RE.match(stripped)
            if current and current[0] == 'param' and ln[:1].isspace() \
                    and not pm:
                # an indented "Context:" continues a parameter's text (a
                # callback member describes where it runs)
                sm = None
            if pm:
                current = ('param', pm.group(1))
                self.params[pm.group(1)] = pm.group(2)
                self.param_lines[pm.group(1)] = base + idx
            elif sm:
                current = ('section', sm.group(1))
                self.sections[sm.group(1)] = sm.group(2)
                self.section_lines[sm.group(1)] = base + idx
            elif not stripped:
                # a blank line ends the summary, a parameter or a
                # paragraph of description, not a section (sections may
                # have paragraphs)
                if current and current[0] in ('summary', 'param', 'desc'):
                    current = None
                elif current:
                    self.sections[current[1]] += '\n'
            elif current and current[0] == 'summary':
                self.summary += ' ' + stripped
            elif current and current[0] == 'param':
                self.params[current[1]] += ' ' + stripped
            elif current and current[0] == 'desc':
                self.description[-1] += ' ' + stripped
            elif current:
                self.sections[current[1]] += ' ' + stripped
            else:
                # free text after a blank line: a paragraph of description
                current = ('desc', None)
                self.description.append(stripped)

    def has_section(self, name):
        return name in self.sections


def kernel_docs(src):
    """Every /** block of a Source, parsed."""
    return [KernelDoc(c) for c in src.comments if c.text.startswith('/**')
            and not c.text.startswith('/***') and c.text != '/**/']


def doc_before(src, line, docs=None):
    """The kernel-doc block that ends right before @line (only blank lines
    between), or None."""
    for d in (docs if docs is not None else kernel_docs(src)):
        if d.end_line < line and d.end_line >= line - 1:
            return d
    return None


# ---------------------------------------------------------------- declarators

def split_commas(toks):
    """Split at the commas outside brackets."""
    out, cur, depth = [], [], 0
    for t in toks:
        if t.kind == 'punct':
            if t.text in '([{':
                depth += 1
            elif t.text in ')]}':
                depth -= 1
            elif t.text == ',' and depth == 0:
                out.append(cur)
                cur = []
                continue
        cur.append(t)
    out.append(cur)
    return out


# The public headers' attribute macros (include/uapi/baton/api.h), which
# cannot be named __something there: read as attributes, like those.
ATTR_MACROS = {'BATON_MAIN_ONLY', 'BATON_IO_ONLY'}


def is_attr(text):
    """Whether the identifier @text is an attribute (macro): __name or
    one of ATTR_MACROS."""
    return text.startswith('__') or text in ATTR_MACROS


def strip_attrs(toks):
    """Drop attributes: __rule(...), __attribute__((...)), and any other
    __name or __name(...) (the project's attribute macros, e.g.
    ____cacheline_aligned, __guarded_by(x)); collapse _Atomic(T) into one
    token '_Atomic()' that stands for an atomic type."""
    out = []
    k = 0
    while k < len(toks):
        t = toks[k]
        nxt = toks[k + 1] if k + 1 < len(toks) else None
        if t.kind == 'ident' and is_attr(t.text) and \
                t.text not in ('__typeof__', '__typeof'):
            if nxt is not None and nxt.text == '(':
                k = match_close(toks, k + 1) + 1
            else:
                k += 1
            continue
        if t.text in ('_Alignas', 'alignas') and nxt is not None and \
                nxt.text == '(':
            k = match_close(toks, k + 1) + 1
            continue
        if t.text == '_Atomic' and nxt is not None and nxt.text == '(':
            close = match_close(toks, k + 1)
            out.append(Token('ident', '_Atomic()', t.line))
            k = close + 1
            continue
        out.append(t)
        k += 1
    return out


KEYWORDS = {
    'struct', 'union', 'enum', 'const', 'volatile', 'restrict', '_Atomic',
    'unsigned', 'signed', 'int', 'char', 'short', 'long', 'float', 'double',
    'void', '_Bool', 'bool', 'static', 'extern', 'inline', 'register',
    '_Atomic()', '_Complex',
}


def declarator_name(toks):
    """(name, index) of the declared identifier in a cleaned declarator
    (attributes stripped), or (None, None)."""
    # a bit-field's width and array sizes are not part of the name
    depth = 0
    cut = len(toks)
    for k, t in enumerate(toks):
        if t.text in ('(', '['):
            depth += 1
        elif t.text in (')', ']'):
            depth -= 1
        elif t.text == ':' and depth == 0:
            cut = k
            break
    toks = toks[:cut]
    # function pointer or pointer to array: the name is inside the first
    # parenthesised group that holds a '*'
    for k, t in enumerate(toks):
        if t.text == '(':
            close = match_close(toks, k)
            inner = toks[k + 1:close]
            if any(x.text == '*' for x in inner):
                sub = declarator_name(inner)
                if sub[0] is not None:
                    return sub[0], k + 1 + sub[1]
            break
    best = None
    depth = 0
    for k, t in enumerate(toks):
        if t.text in ('(', '['):
            depth += 1
        elif t.text in (')', ']'):
            depth -= 1
        elif depth == 0 and t.kind == 'ident' and t.text not in KEYWORDS \
                and not (k and toks[k - 1].text in ('struct', 'union',
                                                    'enum')):
            best = k
    if best is None:
        return None, None
    return toks[best].text, best


def is_function_pointer(toks):
    """Whether a cleaned declarator declares a pointer to a function:
    "(*name)(...)"."""
    for k, t in enumerate(toks):
        if t.text == '(':
            close = match_close(toks, k)
            return any(x.text == '*' for x in toks[k + 1:close]) and \
                close + 1 < len(toks) and toks[close + 1].text == '('
    return False


# ---------------------------------------------------------------- the C view

_COND_RE = re.compile(r'^#\s*(if|ifdef|ifndef|elif|else|endif)\b\s*(.*)$')


def _cxx_test(directive, arg):
    """For a conditional directive: True when its first branch is C++-only
    (#ifdef __cplusplus, #if defined(__cplusplus)), False when it is
    C-only (#ifndef __cplusplus, #if !defined(__cplusplus)), None when it
    does not test __cplusplus alone."""
    arg = ' '.join(arg.split())
    if directive == 'ifdef' and arg == '__cplusplus':
        return True
    if directive == 'ifndef' and arg == '__cplusplus':
        return False
    if directive == 'if':
        if arg in ('defined(__cplusplus)', 'defined __cplusplus',
                   '__cplusplus'):
            return True
        if arg in ('!defined(__cplusplus)', '!defined __cplusplus',
                   '!__cplusplus'):
            return False
    return None


def c_view(tokens):
    """The tokens a C compiler sees, roughly: directives dropped, and the
    C++-only branch of an `#ifdef __cplusplus` (or its `#else` for
    `#ifndef`) left out.  Other conditionals keep every branch."""
    out = []
    stack = []      # per open conditional: None, or True while skipping
    for t in tokens:
        if t.kind != 'pp':
            if not any(stack):
                out.append(t)
            continue
        m = _COND_RE.match(t.text)
        if not m:
            continue
        d = m.group(1)
        if d in ('if', 'ifdef', 'ifndef'):
            stack.append(_cxx_test(d, m.group(2)))
        elif d in ('else', 'elif') and stack and stack[-1] is not None:
            stack[-1] = not stack[-1]
        elif d == 'endif' and stack:
            stack.pop()
    return out


def skip_attr_back(toks, k):
    """From toks[k] going left, step over attribute groups (__name,
    __name(...), __attribute__((...))); the index of the first token
    that is not part of one."""
    while k >= 0:
        t = toks[k]
        if t.kind == 'ident' and is_attr(t.text):
            k -= 1
            continue
        if t.text == ')':
            o = match_open(toks, k)
            if o > 0 and toks[o - 1].kind == 'ident' and \
                    is_attr(toks[o - 1].text):
                k = o - 2
                continue
        break
    return k


class ExternalDecl:
    """One file-scope declaration or function definition in a C view:
    toks[start:end] is the declaration up to its ';' (excluded), or for a
    function, up to its body's '{' (excluded); body is (lbrace, rbrace)
    for a function definition, else None."""
    __slots__ = ('start', 'end', 'body')

    def __init__(self, start, end, body=None):
        self.start = start
        self.end = end
        self.body = body


def external_decls(toks):
    """The file-scope declarations and function definitions of a C view,
    in order."""
    out = []
    i = 0
    n = len(toks)
    while i < n:
        j = i
        done = False
        while j < n:
            t = toks[j]
            if t.kind == 'punct' and t.text in ('(', '['):
                j = match_close(toks, j) + 1
                continue
            if t.kind == 'punct' and t.text == '{':
                k = skip_attr_back(toks, j - 1)
                if k >= i and toks[k].text == ')' and not any(
                        x.text == '=' for x in toks[i:k]):
                    close = match_close(toks, j)
                    out.append(ExternalDecl(i, j, (j, close)))
                    i = close + 1
                    done = True
                    break
                j = match_close(toks, j) + 1
                continue
            if t.kind == 'punct' and t.text == ';':
                if j > i:
                    out.append(ExternalDecl(i, j))
                i = j + 1
                done = True
                break
            j += 1
        if not done:
            break
    return out


def function_name(toks, start, end):
    """The name of the function a declaration toks[start:end] declares or
    defines (the identifier before its parameter list), or None when it
    declares no function."""
    if any(t.text == '=' for t in toks[start:end]):
        return None
    k = skip_attr_back(toks, end - 1)
    if k < start or toks[k].text != ')':
        return None
    o = match_open(toks, k)
    if o - 1 >= start and toks[o - 1].kind == 'ident':
        return toks[o - 1].text
    return None
