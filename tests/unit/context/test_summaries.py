"""Tests for tree-sitter file summaries: imports, symbols, rendering and definition source."""

from __future__ import annotations

import textwrap

import pytest

from lsp_server.context import summaries
from lsp_server.context.languages import get_parser
from lsp_server.context.summaries import (
    MAX_SIGNATURE_CHARS,
    FileSummary,
    Symbol,
    render_summary,
    summarize,
    symbol_source,
)


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def outline(summary: FileSummary) -> list[tuple[str, str, str | None]]:
    return [(s.name, s.kind, s.parent) for s in summary.symbols]


ANY = object()


def by_name(summary: FileSummary, name: str, parent: object = ANY) -> Symbol:
    matches = [s for s in summary.symbols if s.name == name and (parent is ANY or s.parent == parent)]
    assert len(matches) == 1, matches
    return matches[0]


PYTHON = src(
    '''
    """Shapes."""
    from __future__ import annotations

    import math
    import os.path as osp
    from .base import Shape
    from typing import (Any,
                        Protocol)

    try:
        import numpy
    except ImportError:  # optional
        numpy = None

    # Largest radius we accept.
    MAX_RADIUS = 1_000
    DEFAULT_NAME: str = "circle"
    _cache = {}
    lower_case = 3


    @dataclass(frozen=True)
    class Circle(Shape):
        """A circle.

        Longer description.
        """

        radius: float

        @property
        def area(self) -> float:
            """Area of the circle."""
            def helper():
                return 1
            return math.pi * self.radius**2

        async def grow(
            self,
            factor: float = 2.0,
        ) -> Circle:  # returns a copy
            return Circle(self.radius * factor)

        class Meta:
            def options(self):
                return {}


    def build(kind: str, *args: Any) -> Shape:
        r"""Build a shape by kind."""
        return Circle(*args)
    '''
)


def test_python_summary() -> None:
    summary = summarize(PYTHON, "python", "shapes.py")
    assert summary.path == "shapes.py" and summary.language == "python"
    assert summary.imports == ("__future__", "math", "os.path", ".base", "typing", "numpy")
    assert outline(summary) == [
        ("MAX_RADIUS", "constant", None),
        ("DEFAULT_NAME", "constant", None),
        ("Circle", "class", None),
        ("radius", "attribute", "Circle"),
        ("area", "method", "Circle"),
        ("grow", "method", "Circle"),
        ("Meta", "class", "Circle"),
        ("options", "method", "Meta"),
        ("build", "function", None),
    ]
    circle = by_name(summary, "Circle")
    assert circle.signature == "class Circle(Shape):"
    assert circle.doc == "A circle."
    assert (circle.start_line, circle.end_line) == (21, 45)  # decorators included
    area = by_name(summary, "area")
    assert area.signature == "def area(self) -> float:"
    assert area.doc == "Area of the circle."
    assert by_name(summary, "grow").signature == "async def grow(self, factor: float = 2.0,) -> Circle:"
    assert by_name(summary, "build").doc == "Build a shape by kind."
    assert by_name(summary, "build").signature == "def build(kind: str, *args: Any) -> Shape:"
    assert by_name(summary, "MAX_RADIUS").signature == "MAX_RADIUS = 1_000"
    assert by_name(summary, "MAX_RADIUS").doc == "Largest radius we accept."
    assert by_name(summary, "DEFAULT_NAME").signature == 'DEFAULT_NAME: str = "circle"'


JAVASCRIPT = src(
    """
    import React, { useState } from "react";
    import * as util from './util.js';
    export { helper } from "./helpers";
    const path = require("path");

    /**
     * Default timeout in ms.
     */
    export const TIMEOUT = 500;
    let mutable = 1;

    // Format a name for display.
    export function formatName(first, last = "") {
      return `${first} ${last}`;
    }

    export default class Store extends Base {
      static instance = null;
      /** Load everything. */
      async load(url) {
        const mod = await import("./lazy.js");
        return mod;
      }
      handle = (event) => {
        this.emit(event);
      };
      get size() { return 0; }
    }

    export const double = (x) => x * 2;
    function* ids() { yield 1; }
    """
)


def test_javascript_summary() -> None:
    summary = summarize(JAVASCRIPT, "javascript", "store.js")
    assert summary.imports == ("react", "./util.js", "./helpers", "path", "./lazy.js")
    assert outline(summary) == [
        ("TIMEOUT", "constant", None),
        ("formatName", "function", None),
        ("Store", "class", None),
        ("instance", "attribute", "Store"),
        ("load", "method", "Store"),
        ("handle", "method", "Store"),
        ("size", "method", "Store"),
        ("double", "function", None),
        ("ids", "function", None),
    ]
    assert by_name(summary, "TIMEOUT").signature == "export const TIMEOUT = 500"
    assert by_name(summary, "TIMEOUT").doc == "Default timeout in ms."
    assert by_name(summary, "formatName").signature == 'export function formatName(first, last = "")'
    assert by_name(summary, "formatName").doc == "Format a name for display."
    assert by_name(summary, "Store").signature == "export default class Store extends Base"
    assert by_name(summary, "load").signature == "async load(url)"
    assert by_name(summary, "load").doc == "Load everything."
    assert by_name(summary, "handle").signature == "handle = (event) =>"
    assert by_name(summary, "double").signature == "export const double = (x) =>"


TYPESCRIPT = src(
    """
    import { Injectable } from '@angular/core';
    import type { User } from "./models/user";
    import fs = require("fs");
    export * from "./types";

    export const MAX_USERS: number = 100, MIN_USERS = 1;

    /** A repository of users. */
    export interface Repository<T> {
      find(id: string): Promise<T | undefined>;
      readonly size: number;
    }

    export type UserId = string | number;

    export enum Role { Admin, Guest }

    @Injectable()
    export class UserService implements Repository<User> {
      private cache = new Map<string, User>();

      constructor(private readonly http: HttpClient) {}

      /**
       * Find a user by id.
       */
      async find(id: string): Promise<User | undefined> {
        return this.cache.get(id);
      }
    }

    export abstract class Base { protected abstract key(): string; }

    export function multiply(x: number, y: number): number {
      return x * y;
    }

    declare function legacy(input: string): void;

    export namespace Utils {
      export function clamp(v: number): number { return v; }
    }
    """
)


def test_typescript_summary() -> None:
    summary = summarize(TYPESCRIPT, "typescript", "users.ts")
    assert summary.imports == ("@angular/core", "./models/user", "fs", "./types")
    assert outline(summary) == [
        ("MAX_USERS", "constant", None),
        ("MIN_USERS", "constant", None),
        ("Repository", "interface", None),
        ("find", "method", "Repository"),
        ("UserId", "type", None),
        ("Role", "enum", None),
        ("UserService", "class", None),
        ("cache", "attribute", "UserService"),
        ("constructor", "method", "UserService"),
        ("http", "attribute", "UserService"),
        ("find", "method", "UserService"),
        ("Base", "class", None),
        ("key", "method", "Base"),
        ("multiply", "function", None),
        ("legacy", "function", None),
        ("Utils", "namespace", None),
        ("clamp", "function", None),
    ]
    assert by_name(summary, "multiply").signature == "export function multiply(x: number, y: number): number"
    assert by_name(summary, "MAX_USERS").signature == "export const MAX_USERS: number = 100"
    assert by_name(summary, "MIN_USERS").signature == "export const MIN_USERS = 1"
    assert by_name(summary, "Repository").signature == "export interface Repository<T>"
    assert by_name(summary, "Repository").doc == "A repository of users."
    # The decorator is not part of the header.
    assert by_name(summary, "UserService").signature == "export class UserService implements Repository<User>"
    found = by_name(summary, "find", parent="UserService")
    assert found.signature == "async find(id: string): Promise<User | undefined>"
    assert found.doc == "Find a user by id."
    assert by_name(summary, "UserId").signature == "export type UserId = string | number"
    assert by_name(summary, "legacy").signature == "declare function legacy(input: string): void"


TSX = src(
    """
    import React from "react";
    import { Button } from "./Button";

    type Props = { title: string };

    // The page header.
    export function Header({ title }: Props): JSX.Element {
      return <h1 className="title">{title}</h1>;
    }

    export const Footer = ({ text }: { text: string }) => <footer>{text}</footer>;

    export default class Page extends React.Component<Props> {
      render() {
        return <div><Header title={this.props.title} /><Button /></div>;
      }
    }
    """
)


def test_tsx_summary() -> None:
    summary = summarize(TSX, "tsx", "Page.tsx")
    assert summary.imports == ("react", "./Button")
    assert outline(summary) == [
        ("Props", "type", None),
        ("Header", "function", None),
        ("Footer", "function", None),
        ("Page", "class", None),
        ("render", "method", "Page"),
    ]
    header = by_name(summary, "Header")
    assert header.signature == "export function Header({ title }: Props): JSX.Element"
    assert header.doc == "The page header."
    assert by_name(summary, "Footer").signature == "export const Footer = ({ text }: { text: string }) =>"


GO = src(
    """
    // Package server runs the API.
    package server

    import "fmt"

    import (
    \t"context"
    \tnethttp "net/http"
    \t"github.com/acme/kit/log"
    )

    // DefaultPort is used when none is configured.
    const DefaultPort = 8080

    const (
    \tModeA = iota
    \tModeB
    )

    var ErrClosed = fmt.Errorf("closed")

    // Server serves HTTP.
    type Server struct {
    \taddr string
    }

    // Handler handles one request.
    type Handler interface {
    \t// Serve serves.
    \tServe(ctx context.Context, r *nethttp.Request) error
    }

    type ID = string

    // Start starts the server.
    // It blocks until ctx is done.
    func (s *Server) Start(ctx context.Context) error {
    \treturn nil
    }

    func (s Server) Addr() string { return s.addr }

    //go:noinline
    // New makes a server.
    func New(addr string) *Server {
    \treturn &Server{addr: addr}
    }
    """
)


def test_go_summary() -> None:
    summary = summarize(GO, "go", "server.go")
    assert summary.imports == ("fmt", "context", "net/http", "github.com/acme/kit/log")
    assert outline(summary) == [
        ("DefaultPort", "constant", None),
        ("ModeA", "constant", None),
        ("ModeB", "constant", None),
        ("ErrClosed", "constant", None),
        ("Server", "struct", None),
        ("Handler", "interface", None),
        ("Serve", "method", "Handler"),
        ("ID", "type", None),
        ("Start", "method", "Server"),
        ("Addr", "method", "Server"),
        ("New", "function", None),
    ]
    start = by_name(summary, "Start")
    assert start.signature == "func (s *Server) Start(ctx context.Context) error"
    assert start.doc == "Start starts the server."
    assert by_name(summary, "Server").signature == "type Server struct"
    assert by_name(summary, "Server").doc == "Server serves HTTP."
    assert by_name(summary, "Handler").signature == "type Handler interface"
    assert by_name(summary, "Serve").signature == "Serve(ctx context.Context, r *nethttp.Request) error"
    assert by_name(summary, "DefaultPort").signature == "const DefaultPort = 8080"
    assert by_name(summary, "DefaultPort").doc == "DefaultPort is used when none is configured."
    assert by_name(summary, "ModeB").signature == "const ModeB"
    assert by_name(summary, "ID").signature == "type ID = string"
    assert by_name(summary, "New").doc == "New makes a server."  # the directive is skipped


RUST = src(
    """
    //! The parser crate.
    use crate::ast::{Ast, Node};
    use std::fmt;
    pub use self::error::Error;
    mod error;

    /// Maximum nesting depth.
    pub const MAX_DEPTH: usize = 64;
    static GREETING: &str = "hi";

    /// A parsed token.
    #[derive(Debug, Clone)]
    pub struct Token<'a> {
        text: &'a str,
    }

    pub enum Kind { Ident, Number(i64) }

    /// Things that can be displayed compactly.
    pub trait Compact {
        /// Render compactly.
        fn compact(&self) -> String;
        fn width(&self) -> usize { 0 }
    }

    pub type Result<T> = std::result::Result<T, Error>;

    impl<'a> Token<'a> {
        /// Make a token.
        pub fn new(text: &'a str) -> Self {
            fn nested() {}
            Token { text }
        }
    }

    impl fmt::Display for Kind {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            Ok(())
        }
    }

    /// Parse the input.
    pub fn parse(input: &str) -> Result<Ast, Error> {
        todo!()
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        #[test]
        fn works() {}
    }
    """
)


def test_rust_summary() -> None:
    summary = summarize(RUST, "rust", "lib.rs")
    assert summary.imports == (
        "crate::ast::{Ast, Node}",
        "std::fmt",
        "self::error::Error",
        "mod error",
        "super::*",
    )
    assert outline(summary) == [
        ("MAX_DEPTH", "constant", None),
        ("GREETING", "constant", None),
        ("Token", "struct", None),
        ("Kind", "enum", None),
        ("Compact", "trait", None),
        ("compact", "method", "Compact"),
        ("width", "method", "Compact"),
        ("Result", "type", None),
        ("Token", "impl", None),
        ("new", "method", "Token"),
        ("Kind", "impl", None),
        ("fmt", "method", "Kind"),
        ("parse", "function", None),
        ("tests", "namespace", None),
    ]
    parse = by_name(summary, "parse")
    assert parse.signature == "pub fn parse(input: &str) -> Result<Ast, Error>"
    assert parse.doc == "Parse the input."
    assert [s.kind for s in summary.symbols if s.name == "Token"] == ["struct", "impl"]
    struct = next(s for s in summary.symbols if s.name == "Token" and s.kind == "struct")
    assert struct.signature == "pub struct Token<'a>"
    assert struct.doc == "A parsed token."  # found above the attribute
    assert struct.start_line == 11  # the #[derive] line is part of the definition
    impls = [s.signature for s in summary.symbols if s.kind == "impl"]
    assert impls == ["impl<'a> Token<'a>", "impl fmt::Display for Kind"]
    assert by_name(summary, "MAX_DEPTH").signature == "pub const MAX_DEPTH: usize = 64"
    assert by_name(summary, "MAX_DEPTH").doc == "Maximum nesting depth."
    assert by_name(summary, "compact").signature == "fn compact(&self) -> String"
    assert by_name(summary, "compact").doc == "Render compactly."


def by_kind(summary: FileSummary, name: str, kind: str) -> Symbol:
    return next(s for s in summary.symbols if s.name == name and s.kind == kind)


JAVA = src(
    """
    package com.acme.calc;

    import java.util.List;
    import java.util.function.*;
    import static org.junit.Assert.assertEquals;

    /**
     * A simple calculator.
     */
    @Service
    public class Calculator extends Base implements Api {
        public static final int MAX = 10;
        private static final String NAME = "calc", OTHER = "x";
        private int count;

        /** Adds two numbers. */
        @Override
        public static int add(int a, int b) {
            return a + b;
        }

        // Make one.
        public Calculator(int start) {
            this.count = start;
        }

        public enum Mode {
            ON, OFF;
            Mode flip() { return this == ON ? OFF : ON; }
        }
    }

    interface Api {
        int add(int a, int b);
        int ZERO = 0;
    }

    record Pair(int left, int right) {}
    """
)


def test_java_summary() -> None:
    summary = summarize(JAVA, "java", "Calculator.java")
    assert summary.imports == ("java.util.List", "java.util.function.*", "org.junit.Assert.assertEquals")
    assert outline(summary) == [
        ("Calculator", "class", None),
        ("MAX", "constant", "Calculator"),
        ("NAME", "constant", "Calculator"),
        ("OTHER", "constant", "Calculator"),
        ("add", "method", "Calculator"),
        ("Calculator", "method", "Calculator"),
        ("Mode", "enum", "Calculator"),
        ("flip", "method", "Mode"),
        ("Api", "interface", None),
        ("add", "method", "Api"),
        ("ZERO", "constant", "Api"),
        ("Pair", "class", None),
    ]
    add = by_name(summary, "add", parent="Calculator")
    assert add.signature == "public static int add(int a, int b)"
    assert add.doc == "Adds two numbers."
    assert by_name(summary, "Calculator", parent=None).signature == (
        "public class Calculator extends Base implements Api"
    )
    assert by_name(summary, "Calculator", parent=None).doc == "A simple calculator."
    assert by_name(summary, "Calculator", parent="Calculator").doc == "Make one."
    assert by_name(summary, "MAX").signature == "public static final int MAX = 10"
    assert by_name(summary, "OTHER").signature == 'private static final String OTHER = "x"'
    assert by_name(summary, "Pair").signature == "record Pair(int left, int right)"


C = src(
    """
    #ifndef SHAPES_H
    #define SHAPES_H

    #include <stdio.h>
    #include "vec.h"

    #define MAX_POINTS 128
    #define SQUARE(x) ((x) * (x))

    static const double PI = 3.14159;
    int counter;

    /* A 2-D point. */
    struct point {
        int x, y;
    };

    typedef struct { double w, h; } size_t2;
    enum color { RED, GREEN };

    /**
     * Add two ints.
     */
    int add(int a, int b);

    char *dup(const char *s);
    int (*handler)(int);

    // Clamp a value.
    static inline int clamp(int v, int lo, int hi) {
        return v < lo ? lo : v > hi ? hi : v;
    }

    #endif
    """
)


def test_c_summary() -> None:
    summary = summarize(C, "c", "shapes.h")
    assert summary.imports == ("<stdio.h>", "vec.h")
    assert outline(summary) == [
        ("MAX_POINTS", "constant", None),
        ("PI", "constant", None),
        ("point", "struct", None),
        ("size_t2", "struct", None),
        ("color", "enum", None),
        ("add", "function", None),
        ("dup", "function", None),
        ("clamp", "function", None),
    ]
    assert by_name(summary, "add").signature == "int add(int a, int b)"
    assert by_name(summary, "add").doc == "Add two ints."
    assert by_name(summary, "dup").signature == "char *dup(const char *s)"
    assert by_name(summary, "clamp").signature == "static inline int clamp(int v, int lo, int hi)"
    assert by_name(summary, "clamp").doc == "Clamp a value."
    assert by_name(summary, "point").doc == "A 2-D point."
    assert by_name(summary, "MAX_POINTS").signature == "#define MAX_POINTS 128"
    assert by_name(summary, "PI").signature == "static const double PI = 3.14159"


CPP = src(
    """
    #include "shapes.hpp"
    #include <vector>

    constexpr int kMaxShapes = 16;

    namespace geo {

    /// Base class for shapes.
    class Shape {
     public:
      explicit Shape(int id);
      virtual ~Shape() = default;
      /// The area.
      virtual double area() const = 0;
      int id() const { return id_; }
      template <typename T> T as() const;

     private:
      int id_;
    };

    struct Point {
      double x, y;
      double dist(const Point& other) const;
    };

    // Construct a shape.
    Shape::Shape(int id) : id_(id) {}

    double Point::dist(const Point& other) const {
      return 0.0;
    }

    template <typename T>
    T max_of(T a, T b) {
      return a > b ? a : b;
    }

    int add(int a, int b);

    using Points = std::vector<Point>;

    }  // namespace geo

    int main(int argc, char** argv) { return 0; }
    """
)


def test_cpp_summary() -> None:
    summary = summarize(CPP, "cpp", "shapes.cpp")
    assert summary.imports == ("shapes.hpp", "<vector>")
    assert outline(summary) == [
        ("kMaxShapes", "constant", None),
        ("geo", "namespace", None),
        ("Shape", "class", None),
        ("Shape", "method", "Shape"),
        ("~Shape", "method", "Shape"),
        ("area", "method", "Shape"),
        ("id", "method", "Shape"),
        ("as", "method", "Shape"),
        ("Point", "struct", None),
        ("dist", "method", "Point"),
        ("Shape", "method", "Shape"),
        ("dist", "method", "Point"),
        ("max_of", "function", None),
        ("add", "function", None),
        ("Points", "type", None),
        ("main", "function", None),
    ]
    shape = by_kind(summary, "Shape", "class")
    assert shape.signature == "class Shape"
    assert shape.doc == "Base class for shapes."
    area = by_name(summary, "area")
    assert area.signature == "virtual double area() const = 0"
    assert area.doc == "The area."
    out_of_line = [s for s in summary.symbols if s.name == "dist"][1]
    assert out_of_line.signature == "double Point::dist(const Point& other) const"
    ctor = [s for s in summary.symbols if s.name == "Shape" and s.kind == "method"][1]
    assert ctor.signature == "Shape::Shape(int id)"  # no initializer list
    assert ctor.doc == "Construct a shape."
    assert by_name(summary, "max_of").signature == "template <typename T> T max_of(T a, T b)"
    assert by_name(summary, "add").signature == "int add(int a, int b)"
    assert by_name(summary, "kMaxShapes").signature == "constexpr int kMaxShapes = 16"
    assert by_name(summary, "Points").signature == "using Points = std::vector<Point>"


# --- robustness -------------------------------------------------------------------------------


BROKEN = {
    "python": (
        "import os\n\ndef good(a):\n    return a\n\ndef broken(:\n    pass\n\n"
        "class K:\n    def m(self):\n        pass\n",
        [("good", "function", None), ("broken", "function", None), ("K", "class", None), ("m", "method", "K")],
    ),
    "go": (
        "package a\nfunc Ok() {}\nfunc Bad( {\n}\ntype T struct { a int }\n",
        [("Ok", "function", None), ("T", "struct", None)],
    ),
    "rust": (
        "fn ok() {}\nfn bad( {\n}\npub struct S { a: i32 }\n",
        [("ok", "function", None), ("S", "struct", None)],
    ),
    "java": ("class C { void ok() {} void bad( { } }\n", [("C", "class", None), ("ok", "method", "C")]),
    "cpp": (
        "int ok() { return 1; }\nint bad( { \nclass K { void m(); };\n",
        [("ok", "function", None), ("K", "class", None), ("m", "method", "K")],
    ),
    "typescript": ("export function ok(a: number) { return a; }\nconst = ;\n", [("ok", "function", None)]),
}


@pytest.mark.parametrize("language", sorted(BROKEN))
def test_broken_code_keeps_what_parses(language: str) -> None:
    code, expected = BROKEN[language]
    summary = summarize(code, language, "broken")
    assert get_parser(language).parse(code.encode()).root_node.has_error
    got = outline(summary)
    for item in expected:
        assert item in got


def test_empty_and_garbage_input_do_not_raise() -> None:
    for language in ("python", "javascript", "typescript", "tsx", "go", "rust", "java", "c", "cpp"):
        assert summarize("", language, "empty") == FileSummary("empty", language, (), ())
        summarize(b"\xff\xfe}{)(;;\x00 class def fn func", language, "garbage")


def test_uses_the_given_tree_instead_of_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    code = b"def f():\n    pass\n"
    tree = get_parser("python").parse(code)

    def no_parser(language: str) -> None:
        raise AssertionError("summarize parsed although it was given a tree")

    monkeypatch.setattr(summaries, "get_parser", no_parser)
    assert outline(summarize(code, "python", "f.py", tree=tree)) == [("f", "function", None)]


def test_str_and_bytes_give_the_same_summary_with_multibyte_text() -> None:
    code = 'ÉMOJI = "🎉"\n\ndef grüß(name: str) -> str:\n    """Grüße — 你好."""\n    return name\n'
    from_str = summarize(code, "python", "u.py")
    assert from_str == summarize(code.encode("utf-8"), "python", "u.py")
    greet = by_name(from_str, "grüß")
    assert greet.signature == "def grüß(name: str) -> str:"
    assert greet.doc == "Grüße — 你好."
    assert (greet.start_line, greet.end_line) == (2, 4)


def test_long_signature_and_value_are_shortened() -> None:
    params = ", ".join(f"argument_{i}: int" for i in range(40))
    code = f"def wide({params}) -> None:\n    pass\n\nTABLE = {{\n    'a': 1,\n}}\nLONG = '{'x' * 100}'\n"
    summary = summarize(code, "python", "w.py")
    wide = by_name(summary, "wide").signature
    assert len(wide) <= MAX_SIGNATURE_CHARS and wide.endswith("...")
    assert wide.startswith("def wide(argument_0: int, argument_1: int,")
    assert by_name(summary, "TABLE").signature == "TABLE = ..."
    assert by_name(summary, "LONG").signature == "LONG = ..."


def generated_python(classes: int) -> str:
    parts = ["import os\nfrom typing import Any\n\nLIMIT = 10\n"]
    for i in range(classes):
        parts.append(
            f"\n\nclass Widget{i}:\n"
            f'    """Widget {i}."""\n\n'
            "    def __init__(self, x: int) -> None:\n"
            "        self.x = x\n\n"
            f"    def area{i}(self, scale: float = 1.0) -> float:\n"
            '        """Area."""\n'
            "        total = 0.0\n"
            "        # scale each step\n"
            "        for k in range(10):\n"
            "            total += k * scale\n"
            "        return total\n\n\n"
            f"def helper{i}(a, b):\n"
            '    """Helper."""\n'
            "    return a + b\n"
        )
    return "".join(parts)


def test_large_file_summarizes_completely() -> None:
    code = generated_python(250)
    assert code.count("\n") == 5004
    summary = summarize(code, "python", "big.py")
    assert len(summary.symbols) == 1 + 250 * 5  # LIMIT, then class, two methods, self.x and a function each
    assert by_name(summary, "area249").parent == "Widget249"
    assert summary.symbols[-1].end_line == 5003


# --- rendering --------------------------------------------------------------------------------


def test_render_python_outline() -> None:
    rendered = render_summary(summarize(PYTHON, "python", "shapes.py"))
    assert rendered == "\n".join(
        [
            "# imports: __future__, math, os.path, .base, typing, numpy",
            "MAX_RADIUS = 1_000  # Largest radius we accept.",
            'DEFAULT_NAME: str = "circle"',
            "class Circle(Shape):  # A circle.",
            "    radius: float",
            "    def area(self) -> float:  # Area of the circle.",
            "    async def grow(self, factor: float = 2.0,) -> Circle:",
            "    class Meta:",
            "        def options(self):",
            "def build(kind: str, *args: Any) -> Shape:  # Build a shape by kind.",
        ]
    )


def test_render_uses_language_comment_and_nests_members() -> None:
    rendered = render_summary(summarize(RUST, "rust", "lib.rs")).split("\n")
    assert rendered[0] == "// imports: crate::ast::{Ast, Node}, std::fmt, self::error::Error, mod error, super::*"
    assert "pub const MAX_DEPTH: usize = 64  // Maximum nesting depth." in rendered
    index = rendered.index("impl<'a> Token<'a>")
    assert rendered[index + 1] == "  pub fn new(text: &'a str) -> Self  // Make a token."
    assert "pub fn parse(input: &str) -> Result<Ast, Error>  // Parse the input." in rendered


def test_render_does_not_indent_out_of_line_methods() -> None:
    rendered = render_summary(summarize(CPP, "cpp", "shapes.cpp")).split("\n")
    assert "  virtual double area() const = 0  // The area." in rendered
    assert "Shape::Shape(int id)  // Construct a shape." in rendered
    assert "double Point::dist(const Point& other) const" in rendered


def test_render_limits_symbols_and_is_deterministic() -> None:
    summary = summarize(GO, "go", "server.go")
    rendered = render_summary(summary, max_symbols=3)
    assert rendered.split("\n") == [
        "// imports: fmt, context, net/http, github.com/acme/kit/log",
        "const DefaultPort = 8080  // DefaultPort is used when none is configured.",
        "const ModeA = iota",
        "const ModeB",
        "// ... 8 more symbols",
    ]
    assert render_summary(summary) == render_summary(summarize(GO, "go", "server.go"))


def test_render_merges_identical_lines() -> None:
    summary = summarize("package a\n\nvar x, y int\n", "go", "a.go")
    assert [s.name for s in summary.symbols] == ["x", "y"]
    assert render_summary(summary) == "var x, y int"


def test_unsupported_language_is_rejected() -> None:
    with pytest.raises(ValueError, match="cobol"):
        summarize("IDENTIFICATION DIVISION.", "cobol", "a.cob")


def test_render_empty_summary() -> None:
    assert render_summary(FileSummary("x.py", "python", (), ())) == ""


# --- definition source ------------------------------------------------------------------------


def test_symbol_source_includes_doc_comment_and_decorators() -> None:
    summary = summarize(GO, "go", "server.go")
    assert symbol_source(GO, by_name(summary, "Start"), "go") == (
        "// Start starts the server.\n"
        "// It blocks until ctx is done.\n"
        "func (s *Server) Start(ctx context.Context) error {\n"
        "\treturn nil\n"
        "}"
    )
    py = summarize(PYTHON, "python", "shapes.py")
    area = symbol_source(PYTHON, by_name(py, "area"), "python")
    assert area.split("\n")[0] == "    @property"
    assert area.split("\n")[-1] == "        return math.pi * self.radius**2"


def test_symbol_source_includes_block_doc_comment() -> None:
    summary = summarize(JAVA, "java", "Calculator.java")
    lines = symbol_source(JAVA, by_name(summary, "add", parent="Calculator"), "java").split("\n")
    assert lines[0] == "    /** Adds two numbers. */"
    assert lines[1] == "    @Override"
    assert lines[-1] == "    }"
    cls = symbol_source(JAVA, by_name(summary, "Calculator", parent=None), "java").split("\n")
    assert cls[:3] == ["/**", " * A simple calculator.", " */"]


def test_symbol_source_truncates_long_definitions() -> None:
    code = generated_python(1)
    summary = summarize(code, "python", "g.py")
    widget = by_name(summary, "Widget0")
    full = symbol_source(code, widget, "python", max_lines=100).split("\n")
    assert len(full) == widget.end_line - widget.start_line + 1
    cut = symbol_source(code, widget, "python", max_lines=4).split("\n")
    assert cut == full[:3] + ["# ..."]
    rust = summarize(RUST, "rust", "lib.rs")
    cut = symbol_source(RUST, by_name(rust, "new"), "rust", max_lines=3).split("\n")
    assert cut == ["    /// Make a token.", "    pub fn new(text: &'a str) -> Self {", "    // ..."]


def test_python_instance_and_class_attributes_carry_their_types() -> None:
    code = src(
        """
        class Order:
            kind: str = "retail"
            objects = Manager()

            def __init__(self, customer: Customer, lines):
                self.customer = customer
                self.address = Address("x")
                self.lines = lines
                self.total: float = 0.0
                if lines:
                    self.first = lines[0]
                self.customer = None

            def pay(self):
                self.paid = True
        """
    )
    attributes = {
        s.name: (s.signature, s.value_type) for s in summarize(code, "python", "o.py").symbols if s.kind == "attribute"
    }
    assert attributes == {
        "kind": ('kind: str = "retail"', "str"),
        "objects": ("objects = Manager()", "Manager()"),
        "customer": ("self.customer: Customer", "Customer"),
        "address": ('self.address = Address("x")', "Address()"),
        "lines": ("self.lines = lines", ""),
        "total": ("self.total: float", "float"),
        "first": ("self.first = lines[0]", ""),
    }
    assert all(s.parent == "Order" for s in summarize(code, "python", "o.py").symbols if s.kind == "attribute")


def test_javascript_and_typescript_fields_and_constructor_assignments_are_attributes() -> None:
    code = src(
        """
        export class Order {
          customer: Customer;
          static count = 0;
          constructor(owner: Customer, private readonly tag: string) {
            this.owner = owner;
            this.items = new Map<string, number>();
          }
        }
        """
    )
    attributes = {
        s.name: (s.signature, s.value_type)
        for s in summarize(code, "typescript", "o.ts").symbols
        if s.kind == "attribute"
    }
    assert attributes == {
        "customer": ("customer: Customer", "Customer"),
        "count": ("static count = 0", ""),
        "tag": ("private readonly tag: string", "string"),
        "owner": ("this.owner: Customer", "Customer"),
        "items": ("this.items = new Map<string, number>()", "Map()"),
    }
    js = summarize("class Cart {\n  constructor() {\n    this.owner = new User();\n  }\n}\n", "javascript", "c.js")
    assert [(s.name, s.value_type) for s in js.symbols if s.kind == "attribute"] == [("owner", "User()")]
