#pragma once
// The PeftModule concept: a parameter-efficient method for a backbone. It is
// built for one backbone (which sizes its tensors), owns those tensors, and
// attaches them to the frozen backbone and detaches them again without
// changing any backbone weight; its tensors are visited by the names they
// have inside the model, and config_json() describes it for
// adapter_config.json. Merging (LoRA, AdaLoRA) is optional: see Mergeable.
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/io/json.hpp>

#include <concepts>
#include <string>

namespace adaptrec::peft {
namespace detail {

template <class M>
concept has_scalar_and_options = requires {
  typename M::scalar_type;
  typename M::options_type;
};
template <class M, class Backbone>
concept built_for_backbone = has_scalar_and_options<M> &&
    std::constructible_from<M, Backbone&, const typename M::options_type&, Rng&>;
template <class M, class Backbone>
concept attaches = requires(M& m, Backbone& b) {
  m.attach(b);
  m.detach(b);
};
template <class M>
concept visits_own_parameters = has_scalar_and_options<M> && requires(M& m) {
  m.visit_parameters(adaptrec::detail::ParameterVisitorArchetype<typename M::scalar_type>{},
                     std::string{});
};
template <class M>
concept switches_mode = requires(M& m, const M& cm) {
  m.train(true);
  { cm.is_training() } -> std::convertible_to<bool>;
};
template <class M>
concept describes_itself = requires(const M& m) {
  { m.config_json() } -> std::convertible_to<io::Json>;
};

}  // namespace detail

template <class M, class Backbone>
concept PeftModule = detail::built_for_backbone<M, Backbone> && detail::attaches<M, Backbone> &&
                     detail::visits_own_parameters<M> && detail::switches_mode<M> &&
                     detail::describes_itself<M>;

// Methods whose update can be folded into the backbone's weights for serving.
template <class M, class Backbone>
concept Mergeable = PeftModule<M, Backbone> && requires(M& m, Backbone& b) {
  m.merge(b);
  m.unmerge(b);
};

// For pipeline templates: static_assert(check_peft_module<M, Backbone>())
// fails with a message naming the missing member.
template <class M, class Backbone>
consteval bool check_peft_module() {
  static_assert(detail::has_scalar_and_options<M>,
                "adaptrec::peft::PeftModule: the type needs `scalar_type` and `options_type`");
  static_assert(detail::built_for_backbone<M, Backbone>,
                "adaptrec::peft::PeftModule: missing a constructor "
                "(Backbone&, const options_type&, Rng&)");
  static_assert(detail::attaches<M, Backbone>,
                "adaptrec::peft::PeftModule: missing `attach(Backbone&)` or `detach(Backbone&)`");
  static_assert(detail::visits_own_parameters<M>,
                "adaptrec::peft::PeftModule: missing `visit_parameters(f, prefix)`");
  static_assert(detail::switches_mode<M>,
                "adaptrec::peft::PeftModule: missing `train(bool)` or `is_training() const`");
  static_assert(detail::describes_itself<M>,
                "adaptrec::peft::PeftModule: missing `io::Json config_json() const`");
  return PeftModule<M, Backbone>;
}

}  // namespace adaptrec::peft
