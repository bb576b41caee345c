"""Which tree-sitter node types are functions, methods and classes, per language: for outlines and code actions."""

from __future__ import annotations

# Python: a function_definition in a class body is a method.
PYTHON_FUNCTIONS = frozenset({"function_definition"})
PYTHON_CLASSES = frozenset({"class_definition"})
PYTHON_DECORATED = frozenset({"decorated_definition"})

# JavaScript, TypeScript and TSX.
JS_FUNCTIONS = frozenset({"function_declaration", "generator_function_declaration"})
JS_METHODS = frozenset({"method_definition"})
JS_CLASSES = frozenset({"class_declaration"})
JS_CLASS_EXPRESSIONS = frozenset({"class"})
JS_EXPORTS = frozenset({"export_statement"})
TS_ABSTRACT_CLASSES = frozenset({"abstract_class_declaration"})
TS_INTERFACES = frozenset({"interface_declaration"})
# Declarations without a body: overloads, `declare function`, interface and abstract members.
TS_FUNCTION_SIGNATURES = frozenset({"function_signature"})
TS_METHOD_SIGNATURES = frozenset({"method_signature", "abstract_method_signature"})

# Go: a method_declaration has a receiver; a type_declaration holds one or a group of type specs.
GO_FUNCTIONS = frozenset({"function_declaration"})
GO_METHODS = frozenset({"method_declaration"})
GO_TYPE_DECLARATIONS = frozenset({"type_declaration"})

# Rust: a function_item in an impl or trait is a method; signatures are trait and extern items without a body.
RUST_FUNCTIONS = frozenset({"function_item"})
RUST_FUNCTION_SIGNATURES = frozenset({"function_signature_item"})
RUST_STRUCTS = frozenset({"struct_item"})
RUST_UNIONS = frozenset({"union_item"})
RUST_ENUMS = frozenset({"enum_item"})
RUST_TRAITS = frozenset({"trait_item"})
RUST_IMPLS = frozenset({"impl_item"})

# Java.
JAVA_METHODS = frozenset({"method_declaration"})
JAVA_CONSTRUCTORS = frozenset({"constructor_declaration"})
JAVA_COMPACT_CONSTRUCTORS = frozenset({"compact_constructor_declaration"})
JAVA_ANNOTATION_ELEMENTS = frozenset({"annotation_type_element_declaration"})
JAVA_CLASSES = frozenset({"class_declaration"})
JAVA_RECORDS = frozenset({"record_declaration"})
JAVA_INTERFACES = frozenset({"interface_declaration"})
JAVA_ANNOTATION_TYPES = frozenset({"annotation_type_declaration"})
JAVA_ENUMS = frozenset({"enum_declaration"})

# C and C++ (C++ adds classes): a function_definition has a body; a bare prototype is a declaration.
C_FUNCTIONS = frozenset({"function_definition"})
C_STRUCTS = frozenset({"struct_specifier"})
C_UNIONS = frozenset({"union_specifier"})
C_ENUMS = frozenset({"enum_specifier"})
CPP_CLASSES = frozenset({"class_specifier"})
